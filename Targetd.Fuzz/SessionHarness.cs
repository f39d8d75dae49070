using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Targetd.Iscsi;
using Targetd.Iscsi.Server;

namespace Targetd.Fuzz;

/// <summary>
/// A whole session over in-memory pipes: a normal login to a target with a memory-backed LUN, then the input's
/// bytes as the initiator's PDUs, then the end of the stream. The connection must end within
/// <see cref="Bound"/> of the stream's end, with every command answered or dropped; a longer run is a hang.
/// </summary>
internal static class SessionHarness
{
    /// <summary>How long a connection may take to end once its input has ended.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(3);

    public static void Run(Stream stream)
    {
        byte[] input = FuzzInput.ReadAll(stream);
        RunAsync(input).GetAwaiter().GetResult();
    }

    private static async Task RunAsync(byte[] input)
    {
        var registry = LoginHarness.NewRegistry(1 << 20);
        var transport = new PipeTransport();
        await using var connection = new IscsiConnection(transport, registry, NullLogger.Instance, ConnectionTimeouts.Default, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var ended = connection.RunAsync(stop.Token);
        var drained = DrainAsync(transport);
        await transport.ToTarget.WriteAsync(LoginPdu()).ConfigureAwait(false);
        await transport.ToTarget.WriteAsync(input).ConfigureAwait(false);
        await transport.ToTarget.CompleteAsync().ConfigureAwait(false);
        try
        {
            await ended.WaitAsync(Bound).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"the connection did not end within {Bound.TotalSeconds} s of its input's end", ex);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }

        await drained.WaitAsync(Bound).ConfigureAwait(false);
    }

    private static async Task DrainAsync(PipeTransport transport)
    {
        try
        {
            while (true)
            {
                var read = await transport.FromTarget.ReadAsync().ConfigureAwait(false);
                transport.FromTarget.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted || read.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (IOException)
        {
            // the target closed the connection
        }
    }

    /// <summary>A Login Request going straight to full feature phase (CSG 1, NSG 3, T) with the session's keys.</summary>
    public static byte[] LoginPdu()
    {
        byte[] text = Encoding.UTF8.GetBytes(
            "InitiatorName=iqn.2024-01.net.targetd.fuzz:initiator\0" +
            $"TargetName={LoginHarness.TargetName}\0" +
            "SessionType=Normal\0MaxRecvDataSegmentLength=65536\0ImmediateData=Yes\0InitialR2T=No\0");
        int padded = (text.Length + 3) & ~3;
        var pdu = new byte[48 + padded];
        pdu[0] = 0x43; // immediate Login Request
        pdu[1] = 0x87; // T, CSG 1, NSG 3
        pdu[5] = (byte)(text.Length >> 16);
        pdu[6] = (byte)(text.Length >> 8);
        pdu[7] = (byte)text.Length;
        pdu[8] = 0x80; // ISID: random type
        pdu[13] = 0x01;
        BinaryPrimitives.WriteUInt32BigEndian(pdu.AsSpan(16), 1); // ITT
        BinaryPrimitives.WriteUInt32BigEndian(pdu.AsSpan(24), 1); // CmdSN
        text.CopyTo(pdu, 48);
        return pdu;
    }
}
