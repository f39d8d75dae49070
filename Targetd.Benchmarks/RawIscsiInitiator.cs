using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Server;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;

namespace Targetd.Benchmarks;

/// <summary>
/// An iSCSI initiator that allocates nothing once logged in: a window of SCSI commands is formatted into one
/// preallocated buffer, sent in one write, and every answer is read into reused buffers. So the allocations a
/// benchmark measures around it are the target's.
/// </summary>
internal sealed class RawIscsiInitiator : IDisposable
{
    private const int HeaderLength = BasicHeaderSegment.Size;
    private const byte Read10 = 0x28;
    private const byte Write10 = 0x2A;
    private const ulong Isid = 0x8000_0001_0001;

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
        await initiator.LoginStepAsync(LoginStage.SecurityNegotiation, LoginStage.LoginOperationalNegotiation, $"InitiatorName=iqn.2024-01.net.targetd.bench:initiator\0TargetName={targetName}\0SessionType=Normal\0AuthMethod=None\0");
        await initiator.LoginStepAsync(LoginStage.LoginOperationalNegotiation, LoginStage.FullFeaturePhase, "HeaderDigest=None\0DataDigest=None\0ImmediateData=Yes\0InitialR2T=No\0MaxRecvDataSegmentLength=262144\0FirstBurstLength=262144\0MaxBurstLength=262144\0");
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
            pdu[HeaderLength..].Clear();
            var command = new ScsiCommandPduWriter(pdu)
            {
                Flags = ScsiCommandFlags.Final | (write ? ScsiCommandFlags.Write : ScsiCommandFlags.Read),
                Attribute = TaskAttribute.Simple,
                DataSegmentLength = dataLength,
                ExpectedDataTransferLength = (uint)(blocks * 512),
            };

            // READ(10) / WRITE(10) (SBC-3 §5.11, §5.36): LBA in bytes 2-5, TRANSFER LENGTH in bytes 7-8.
            var cdb = command.Cdb;
            cdb[0] = write ? Write10 : Read10;
            BinaryPrimitives.WriteUInt32BigEndian(cdb[2..], (uint)i * lbaStride);
            BinaryPrimitives.WriteUInt16BigEndian(cdb[7..], (ushort)blocks);
        }

        return count * pduLength;
    }

    /// <summary>Sends a window of commands formatted by <see cref="FormatCommands"/> and waits for every status.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask RunWindowAsync(byte[] commands, int count, int pduLength)
    {
        for (int i = 0; i < count; i++)
        {
            var pdu = commands.AsSpan(i * pduLength, HeaderLength);
            PduFields.SetUInt32(pdu, PduFields.InitiatorTaskTagAt, _itt++);
            PduFields.SetUInt32(pdu, PduFields.CmdSNAt, _cmdSN++);
            PduFields.SetUInt32(pdu, PduFields.ExpStatSNAt, _expStatSN);
        }

        await SendAsync(commands.AsMemory(0, count * pduLength));
        for (int done = 0; done < count;)
        {
            int dataLength = await ReceivePduAsync();
            if (TryReadStatus(dataLength, out uint statSN))
            {
                _expStatSN = statSN + 1;
                done++;
            }
        }
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>
    /// Whether the PDU in the header buffer ends a command: a SCSI Response, or a Data-In with the S bit. Anything but
    /// GOOD, or a PDU of another kind, is a failed run.
    /// </summary>
    private bool TryReadStatus(int dataLength, out uint statSN)
    {
        ScsiStatus status;
        switch (PduFields.Opcode(_header))
        {
            case IscsiOpcode.ScsiResponse:
                var response = new ScsiResponsePdu(_header);
                (status, statSN) = (response.Status, response.StatSN);
                break;
            case IscsiOpcode.DataIn:
                var dataIn = new DataInPdu(_header);
                (status, statSN) = (dataIn.Status, dataIn.StatSN);
                if (!dataIn.HasStatus)
                {
                    return false;
                }

                break;
            case var other:
                throw new InvalidOperationException($"Unexpected answer: {other}, {dataLength} bytes.");
        }

        if (status != ScsiStatus.Good)
        {
            throw new InvalidOperationException($"Unexpected status {status}, {dataLength} bytes.");
        }

        return true;
    }

    private async Task LoginStepAsync(LoginStage current, LoginStage next, string keys)
    {
        byte[] data = Encoding.ASCII.GetBytes(keys);
        var pdu = new byte[HeaderLength + ((data.Length + 3) & ~3)];
        _ = new LoginRequestPduWriter(pdu)
        {
            Flags = LoginFlags.Transit,
            CurrentStage = current,
            NextStage = next,
            DataSegmentLength = data.Length,
            Isid = Isid,
            InitiatorTaskTag = _itt,
            CmdSN = _cmdSN,
            ExpStatSN = _expStatSN,
        };
        data.CopyTo(pdu, HeaderLength);
        await SendAsync(pdu);
        await ReceivePduAsync();
        var status = new LoginResponsePdu(_header).Status;
        if (status != LoginStatus.Success)
        {
            throw new InvalidOperationException($"Login refused with status {(ushort)status:X4}.");
        }

        _expStatSN = new LoginResponsePdu(_header).StatSN + 1;
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
        int length = PduFields.DataSegmentLength(_header);
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
