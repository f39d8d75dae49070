using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace Targetd.Benchmarks;

/// <summary>
/// An iSCSI initiator that allocates nothing once logged in: a window of SCSI commands is formatted into one
/// preallocated buffer, sent in one write, and every answer is read into reused buffers. So the allocations a
/// benchmark measures around it are the target's.
/// </summary>
internal sealed class RawIscsiInitiator : IDisposable
{
    private const int HeaderLength = 48;
    private const byte ScsiCommand = 0x01;
    private const byte LoginRequest = 0x03;
    private const byte ScsiResponse = 0x21;
    private const byte DataIn = 0x25;

    private readonly Socket _socket;
    private readonly byte[] _header = new byte[HeaderLength];
    private readonly byte[] _data;
    private uint _cmdSN = 1;
    private uint _itt = 1;
    private uint _expStatSN;

    private RawIscsiInitiator(Socket socket, int maxData)
    {
        _socket = socket;
        _data = new byte[maxData];
    }

    /// <summary>Connects and logs in (AuthMethod None, immediate data, 256 KiB segments both ways).</summary>
    public static async Task<RawIscsiInitiator> LoginAsync(IPEndPoint endPoint, string targetName)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        var initiator = new RawIscsiInitiator(socket, 1024 * 1024);
        await initiator.LoginStepAsync(0, 1, $"InitiatorName=iqn.2024-01.net.targetd.bench:initiator\0TargetName={targetName}\0SessionType=Normal\0AuthMethod=None\0");
        await initiator.LoginStepAsync(1, 3, "HeaderDigest=None\0DataDigest=None\0ImmediateData=Yes\0InitialR2T=No\0MaxRecvDataSegmentLength=262144\0FirstBurstLength=262144\0MaxBurstLength=262144\0");
        return initiator;
    }

    /// <summary>Formats <paramref name="count"/> READ(10) or WRITE(10) commands of <paramref name="blocks"/> 512-byte blocks into <paramref name="buffer"/>; writes carry their data as immediate data.</summary>
    public static int FormatCommands(byte[] buffer, int count, bool write, int blocks, uint lbaStride)
    {
        int dataLength = write ? blocks * 512 : 0;
        int pduLength = HeaderLength + dataLength;
        for (int i = 0; i < count; i++)
        {
            var pdu = buffer.AsSpan(i * pduLength, pduLength);
            pdu.Clear();
            pdu[0] = ScsiCommand;
            pdu[1] = (byte)(0x80 | (write ? 0x20 : 0x40) | 0x01); // F, W or R, SIMPLE
            pdu[5] = (byte)(dataLength >> 16);
            pdu[6] = (byte)(dataLength >> 8);
            pdu[7] = (byte)dataLength;
            BinaryPrimitives.WriteUInt32BigEndian(pdu[20..], (uint)(blocks * 512));
            pdu[32] = write ? (byte)0x2A : (byte)0x28;
            BinaryPrimitives.WriteUInt32BigEndian(pdu[34..], (uint)i * lbaStride);
            BinaryPrimitives.WriteUInt16BigEndian(pdu[39..], (ushort)blocks);
        }

        return count * pduLength;
    }

    /// <summary>Sends a window of commands formatted by <see cref="FormatCommands"/> and waits for every status.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask RunWindowAsync(byte[] commands, int count, int pduLength)
    {
        for (int i = 0; i < count; i++)
        {
            var pdu = commands.AsSpan(i * pduLength);
            BinaryPrimitives.WriteUInt32BigEndian(pdu[16..], _itt++);
            BinaryPrimitives.WriteUInt32BigEndian(pdu[24..], _cmdSN++);
            BinaryPrimitives.WriteUInt32BigEndian(pdu[28..], _expStatSN);
        }

        await SendAsync(commands.AsMemory(0, count * pduLength));
        for (int done = 0; done < count;)
        {
            int dataLength = await ReceivePduAsync();
            byte opcode = (byte)(_header[0] & 0x3F);
            bool hasStatus = opcode == ScsiResponse || (opcode == DataIn && (_header[1] & 0x01) != 0);
            if (opcode is not (ScsiResponse or DataIn) || (hasStatus && _header[3] != 0))
            {
                throw new InvalidOperationException($"Unexpected answer: opcode {opcode:X2}, status {_header[3]:X2}, {dataLength} bytes.");
            }

            if (hasStatus)
            {
                _expStatSN = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(24)) + 1;
                done++;
            }
        }
    }

    public void Dispose() => _socket.Dispose();

    private async Task LoginStepAsync(int csg, int nsg, string keys)
    {
        byte[] data = Encoding.ASCII.GetBytes(keys);
        var pdu = new byte[HeaderLength + ((data.Length + 3) & ~3)];
        pdu[0] = 0x40 | LoginRequest;
        pdu[1] = (byte)(0x80 | (csg << 2) | nsg);
        pdu[5] = (byte)(data.Length >> 16);
        pdu[6] = (byte)(data.Length >> 8);
        pdu[7] = (byte)data.Length;
        byte[] isid = [0x80, 0x00, 0x00, 0x01, 0x00, 0x01];
        isid.CopyTo(pdu, 8);
        BinaryPrimitives.WriteUInt32BigEndian(pdu.AsSpan(16), _itt);
        BinaryPrimitives.WriteUInt32BigEndian(pdu.AsSpan(24), _cmdSN);
        BinaryPrimitives.WriteUInt32BigEndian(pdu.AsSpan(28), _expStatSN);
        data.CopyTo(pdu, HeaderLength);
        await SendAsync(pdu);
        await ReceivePduAsync();
        ushort status = BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(36));
        if (status != 0)
        {
            throw new InvalidOperationException($"Login refused with status {status:X4}.");
        }

        _expStatSN = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(24)) + 1;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int sent = await _socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Reads one PDU: its header into the header buffer, its padded data segment into the data buffer.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReceivePduAsync()
    {
        await ReceiveExactlyAsync(_header);
        int length = (_header[5] << 16) | (_header[6] << 8) | _header[7];
        await ReceiveExactlyAsync(_data.AsMemory(0, (length + 3) & ~3));
        return length;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReceiveExactlyAsync(Memory<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int received = await _socket.ReceiveAsync(buffer, SocketFlags.None);
            if (received == 0)
            {
                throw new InvalidOperationException("The target closed the connection.");
            }

            buffer = buffer[received..];
        }
    }
}
