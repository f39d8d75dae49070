using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Server;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;

namespace Targetd.Tests.Iscsi;

/// <summary>
/// A small iSCSI initiator over a loopback socket, enough to drive the target in tests: login (None or CHAP),
/// SCSI commands with R2T and Data-In handling, text, NOP, logout and raw bytes.
/// </summary>
internal sealed class TestInitiator : IAsyncDisposable
{
    public const string DefaultName = "iqn.2024-01.net.targetd.test:initiator";

    private readonly TcpClient? _client;
    private readonly Stream _stream;
    private uint _cmdSN = 1;
    private uint _itt = 0x100;

    private TestInitiator(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    private TestInitiator(Stream stream) => _stream = stream;

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    public bool HeaderDigest { get; private set; }

    public bool DataDigest { get; private set; }

    public Dictionary<string, string> Negotiated { get; } = [];

    public ushort Tsih { get; private set; }

    /// <summary>The ISID the Login Requests carry; sessions of one initiator name differ by it (RFC 7143 §10.12.5).</summary>
    /// <remarks>By default a random-qualifier type (§11.12.5), qualifier 1.</remarks>
    public ulong Isid { get; set; } = 0x8000_0001_0001;

    /// <summary>The initiator's side of the connection: the address the target sees it at.</summary>
    public EndPoint? LocalEndPoint => _client?.Client.LocalEndPoint;

    /// <summary>Takes the next CmdSN, for PDUs built by hand.</summary>
    public uint TakeCmdSN() => _cmdSN++;

    /// <summary>A new Initiator Task Tag for a command sent by hand.</summary>
    public uint TakeNextTaskTag() => ++_itt;

    /// <summary>An initiator over any stream, such as an in-memory pipe pair.</summary>
    public static TestInitiator Over(Stream stream) => new(stream);

    /// <param name="endPoint">The portal.</param>
    /// <param name="receiveBufferSize">The socket's receive buffer, small to make the target's sends wait; 0 for the default.</param>
    public static async Task<TestInitiator> ConnectAsync(IPEndPoint endPoint, int receiveBufferSize = 0)
    {
        var client = new TcpClient();
        if (receiveBufferSize > 0)
        {
            client.ReceiveBufferSize = receiveBufferSize;
        }

        await client.ConnectAsync(endPoint);
        return new TestInitiator(client);
    }

    /// <summary>Logs in; returns the status of the last Login Response (0 on success).</summary>
    public async Task<ushort> LoginAsync(
        string? targetName,
        string initiatorName = DefaultName,
        (string User, string Secret)? chap = null,
        (string User, string Secret)? mutual = null,
        IReadOnlyList<KeyValuePair<string, string>>? operational = null,
        ChapAlgorithm chapAlgorithm = ChapAlgorithm.Md5)
    {
        var keys = new List<KeyValuePair<string, string>> { new("InitiatorName", initiatorName) };
        keys.Add(targetName is null ? new("SessionType", "Discovery") : new("TargetName", targetName));
        keys.Add(new("AuthMethod", chap is null ? "None" : "CHAP,None"));
        var reply = await LoginStepAsync(0, 1, transit: chap is null, keys);
        if (Status(reply) != 0)
        {
            return Status(reply);
        }

        if (chap is { } credentials)
        {
            reply = await LoginStepAsync(0, 1, transit: false, [new("CHAP_A", ((int)chapAlgorithm).ToString(System.Globalization.CultureInfo.InvariantCulture))]);
            var answer = Parse(reply);
            if (Status(reply) != 0)
            {
                return Status(reply);
            }

            byte id = byte.Parse(answer["CHAP_I"], System.Globalization.CultureInfo.InvariantCulture);
            var challenge = Convert.FromHexString(answer["CHAP_C"][2..]);
            var response = ChapAuthenticator.ComputeResponse(chapAlgorithm, id, credentials.Secret, challenge);
            var chapKeys = new List<KeyValuePair<string, string>>
            {
                new("CHAP_N", credentials.User),
                new("CHAP_R", "0x" + Convert.ToHexString(response)),
            };
            byte[] myChallenge = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
            if (mutual is not null)
            {
                chapKeys.Add(new("CHAP_I", "7"));
                chapKeys.Add(new("CHAP_C", "0x" + Convert.ToHexString(myChallenge)));
            }

            reply = await LoginStepAsync(0, 1, transit: true, chapKeys);
            if (Status(reply) != 0)
            {
                return Status(reply);
            }

            if (mutual is { } target)
            {
                var proof = Parse(reply);
                var expected = ChapAuthenticator.ComputeResponse(chapAlgorithm, 7, target.Secret, myChallenge);
                if (proof.GetValueOrDefault("CHAP_N") != target.User
                    || !Convert.FromHexString(proof["CHAP_R"][2..]).AsSpan().SequenceEqual(expected))
                {
                    throw new InvalidOperationException("The target failed mutual CHAP.");
                }
            }
        }

        var operationalKeys = operational ?? [new("MaxRecvDataSegmentLength", "65536"), new("ImmediateData", "Yes"), new("InitialR2T", "Yes")];
        reply = await LoginStepAsync(1, 3, transit: true, operationalKeys);
        foreach (var (key, value) in Parse(reply))
        {
            Negotiated[key] = value;
        }

        if (Status(reply) == 0 && (reply.AsLoginResponse().Flags & LoginFlags.Transit) != 0)
        {
            Tsih = reply.AsLoginResponse().Tsih;
            HeaderDigest = Negotiated.GetValueOrDefault("HeaderDigest") == "CRC32C";
            DataDigest = Negotiated.GetValueOrDefault("DataDigest") == "CRC32C";
        }

        return Status(reply);
    }

    public async Task<ReceivedPdu> LoginStepAsync(int csg, int nsg, bool transit, IReadOnlyList<KeyValuePair<string, string>> keys, ushort tsih = 0)
    {
        var header = new byte[BasicHeaderSegment.Size];
        _ = new LoginRequestPduWriter(header)
        {
            Flags = transit ? LoginFlags.Transit : LoginFlags.None,
            CurrentStage = (LoginStage)csg,
            NextStage = transit ? (LoginStage)nsg : LoginStage.SecurityNegotiation,
            Isid = Isid,
            Tsih = tsih,
            InitiatorTaskTag = _itt,
            CmdSN = _cmdSN,
        };
        await SendAsync(header, TextParameters.Encode(keys));
        return await ReceiveAsync();
    }

    public static ushort Status(ReceivedPdu reply) => reply.Opcode == IscsiOpcode.LoginResponse
        ? (ushort)reply.AsLoginResponse().Status
        : throw new InvalidOperationException($"Expected a Login Response, got {reply.Opcode}.");

    public static Dictionary<string, string> Parse(ReceivedPdu reply)
    {
        TextParameters.TryParse(reply.Data, out var pairs).Should().BeTrue();
        var result = new Dictionary<string, string>();
        foreach (var (key, value) in pairs)
        {
            result[key] = value;
        }

        return result;
    }

    /// <summary>Runs a SCSI command to completion, answering R2Ts and gathering Data-In.</summary>
    public async Task<ScsiReply> ExecuteAsync(int lun, byte[] cdb, int expectedLength, bool read, byte[]? write = null, bool immediate = true)
    {
        var header = CommandHeader(++_itt, Direction(read, write is not null), cdb, expectedLength, lun);
        int firstBurst = int.Parse(Negotiated.GetValueOrDefault("FirstBurstLength", "65536"), System.Globalization.CultureInfo.InvariantCulture);
        int immediateLength = write is null || !immediate ? 0 : Math.Min(write.Length, firstBurst);
        await SendAsync(header, write is null ? [] : write[..immediateLength]);
        var data = new MemoryStream();
        int dataIns = 0;
        int r2ts = 0;
        while (true)
        {
            var pdu = await ReceiveAsync();
            switch (pdu.Opcode)
            {
                case IscsiOpcode.ReadyToTransfer:
                    r2ts++;
                    await SendDataOutAsync(pdu, write!);
                    break;
                case IscsiOpcode.DataIn:
                    dataIns++;
                    var dataIn = pdu.AsDataIn();
                    data.Position = dataIn.BufferOffset;
                    data.Write(pdu.Data);
                    if (dataIn.HasStatus)
                    {
                        var residual = (ScsiResponseFlags)(dataIn.Flags & (DataInFlags.ResidualOverflow | DataInFlags.ResidualUnderflow));
                        return new ScsiReply(dataIn.Status, data.ToArray(), [], residual, dataIn.ResidualCount, dataIns, r2ts);
                    }

                    break;
                case IscsiOpcode.ScsiResponse:
                    // RFC 7143 §11.4.7: the data segment holds SenseLength (2 bytes) and the sense data.
                    var sense = pdu.Data.Length >= 2 ? pdu.Data.AsSpan(2, BinaryPrimitives.ReadUInt16BigEndian(pdu.Data)).ToArray() : [];
                    var response = pdu.AsScsiResponse();
                    var flags = response.Flags & (ScsiResponseFlags.ResidualOverflow | ScsiResponseFlags.ResidualUnderflow);
                    return new ScsiReply(response.Status, data.ToArray(), sense, flags, response.ResidualCount, dataIns, r2ts);
                case IscsiOpcode.NopIn when pdu.InitiatorTaskTag == BasicHeaderSegment.ReservedTag:
                    await AnswerPingAsync(pdu);
                    break;
                default:
                    throw new InvalidOperationException($"Unexpected {pdu.Opcode} during a command.");
            }
        }
    }

    /// <summary>Takes the unit attentions a new nexus meets first (power on, LUN inventory) with TEST UNIT READY.</summary>
    public async Task ClearUnitAttentionsAsync(int lun)
    {
        for (int i = 0; i < 8; i++)
        {
            if ((await ExecuteAsync(lun, Cdb.TestUnitReady(), 0, false)).Status == Targetd.Iscsi.Scsi.ScsiStatus.Good)
            {
                return;
            }
        }

        Assert.Fail("TEST UNIT READY never returned GOOD");
    }

    /// <summary>Sends a SCSI command that moves no data out, without waiting for its outcome; returns its task tag.</summary>
    public async Task<uint> SendCommandAsync(int lun, byte[] cdb, int expectedLength, bool read)
    {
        uint itt = ++_itt;
        await SendAsync(CommandHeader(itt, Direction(read, write: false), cdb, expectedLength, lun), []);
        return itt;
    }

    /// <summary>
    /// A SCSI Command header (RFC 7143 §11.3) with the next CmdSN and the simple task attribute, final (no unsolicited
    /// Data-Out follows), for commands sent by hand.
    /// </summary>
    public byte[] CommandHeader(uint itt, ScsiCommandFlags flags, byte[] cdb, int expectedLength, int lun = 0)
    {
        var header = new byte[BasicHeaderSegment.Size];
        var writer = new ScsiCommandPduWriter(header)
        {
            Flags = ScsiCommandFlags.Final | flags,
            Attribute = TaskAttribute.Simple,
            Lun = ScsiDispatcher.EncodeLun(lun),
            InitiatorTaskTag = itt,
            ExpectedDataTransferLength = (uint)expectedLength,
            CmdSN = _cmdSN++,
        };
        cdb.CopyTo(writer.Cdb);
        return header;
    }

    private static ScsiCommandFlags Direction(bool read, bool write) =>
        (read ? ScsiCommandFlags.Read : ScsiCommandFlags.None) | (write ? ScsiCommandFlags.Write : ScsiCommandFlags.None);

    public async Task SendDataOutAsync(ReceivedPdu r2t, byte[] write)
    {
        var request = r2t.AsReadyToTransfer();
        int offset = (int)request.BufferOffset;
        int length = (int)request.DesiredDataTransferLength;
        ulong lun = request.Lun;
        uint ttt = request.TargetTransferTag;
        int segment = int.Parse(Negotiated.GetValueOrDefault("MaxRecvDataSegmentLength", "8192"), System.Globalization.CultureInfo.InvariantCulture);
        uint dataSN = 0;
        for (int done = 0; done < length;)
        {
            int chunk = Math.Min(segment, length - done);
            var header = new byte[BasicHeaderSegment.Size];
            _ = new DataOutPduWriter(header)
            {
                IsFinal = done + chunk == length,
                Lun = lun,
                InitiatorTaskTag = r2t.InitiatorTaskTag,
                TargetTransferTag = ttt,
                DataSN = dataSN++,
                BufferOffset = (uint)(offset + done),
            };
            await SendAsync(header, write.AsSpan(offset + done, chunk).ToArray());
            done += chunk;
        }
    }

    /// <summary>Answers a target's NOP-In ping (RFC 7143 §11.18): an immediate NOP-Out with its Target Transfer Tag and LUN.</summary>
    public async Task AnswerPingAsync(ReceivedPdu ping)
    {
        var nopIn = ping.AsNopIn();
        var header = new byte[BasicHeaderSegment.Size];
        _ = new NopOutPduWriter(header)
        {
            IsImmediate = true,
            Lun = nopIn.Lun,
            InitiatorTaskTag = BasicHeaderSegment.ReservedTag,
            TargetTransferTag = nopIn.TargetTransferTag,
            CmdSN = _cmdSN,
            ExpStatSN = nopIn.StatSN,
        };
        await SendAsync(header, []);
    }

    public async Task<Dictionary<string, string>> TextAsync(string key, string value)
    {
        var header = new byte[BasicHeaderSegment.Size];
        _ = new TextRequestPduWriter(header)
        {
            Flags = TextFlags.Final,
            InitiatorTaskTag = ++_itt,
            TargetTransferTag = BasicHeaderSegment.ReservedTag,
            CmdSN = _cmdSN++,
        };
        await SendAsync(header, TextParameters.Encode([new(key, value)]));
        var reply = await ReceiveAsync();
        reply.Opcode.Should().Be(IscsiOpcode.TextResponse);
        // A SendTargets answer repeats TargetName and TargetAddress (RFC 7143 Appendix C): repeated values join with ';'.
        var pairs = Text(reply.Data).Split('\0', StringSplitOptions.RemoveEmptyEntries).Select(item => item.Split('=', 2)).ToList();
        pairs.Should().OnlyContain(pair => pair.Length == 2, "every item is key=value");
        return pairs.GroupBy(p => p[0]).ToDictionary(g => g.Key, g => string.Join(";", g.Select(p => p[1])));
    }

    public async Task<ReceivedPdu> NopAsync(byte[] ping)
    {
        var header = new byte[BasicHeaderSegment.Size];
        _ = new NopOutPduWriter(header)
        {
            IsImmediate = true,
            InitiatorTaskTag = ++_itt,
            TargetTransferTag = BasicHeaderSegment.ReservedTag,
            CmdSN = _cmdSN,
        };
        await SendAsync(header, ping);
        return await ReceiveAsync();
    }

    public async Task<ReceivedPdu> TaskManagementAsync(TaskManagementFunction function, int lun, uint referencedTag = BasicHeaderSegment.ReservedTag)
    {
        var header = new byte[BasicHeaderSegment.Size];
        _ = new TaskManagementRequestPduWriter(header)
        {
            IsImmediate = true,
            Function = function,
            Lun = ScsiDispatcher.EncodeLun(lun),
            InitiatorTaskTag = ++_itt,
            ReferencedTaskTag = referencedTag,
            CmdSN = _cmdSN,
            RefCmdSN = _cmdSN,
        };
        await SendAsync(header, []);
        return await ReceiveAsync();
    }

    public async Task<ReceivedPdu> LogoutAsync()
    {
        var header = new byte[BasicHeaderSegment.Size];
        _ = new LogoutRequestPduWriter(header)
        {
            IsImmediate = true,
            Reason = LogoutReason.CloseSession,
            InitiatorTaskTag = ++_itt,
            CmdSN = _cmdSN,
        };
        await SendAsync(header, []);
        return await ReceiveAsync();
    }

    /// <summary>Sends a PDU with the negotiated digests; <paramref name="corruptHeaderDigest"/> flips the header digest.</summary>
    public async Task SendAsync(byte[] header, byte[] data, bool corruptHeaderDigest = false)
    {
        var pdu = new MemoryStream();
        PduFields.SetDataSegmentLength(header, data.Length);
        pdu.Write(header);
        if (HeaderDigest)
        {
            pdu.Write(BitConverter.GetBytes(Crc32C.Compute(header) ^ (corruptHeaderDigest ? 1u : 0u)));
        }

        if (data.Length > 0)
        {
            var padded = new byte[(data.Length + 3) & ~3];
            data.CopyTo(padded, 0);
            pdu.Write(padded);
            if (DataDigest)
            {
                pdu.Write(BitConverter.GetBytes(Crc32C.Compute(padded)));
            }
        }

        await SendRawAsync(pdu.ToArray());
    }

    public async Task SendRawAsync(byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        await _stream.WriteAsync(bytes, timeout.Token);
    }

    public async Task<ReceivedPdu> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var header = new byte[BasicHeaderSegment.Size];
        await _stream.ReadExactlyAsync(header, timeout.Token);
        if (HeaderDigest)
        {
            var digest = new byte[4];
            await _stream.ReadExactlyAsync(digest, timeout.Token);
            BitConverter.ToUInt32(digest).Should().Be(Crc32C.Compute(header), "the header digest must match");
        }

        int length = PduFields.DataSegmentLength(header);
        var padded = new byte[(length + 3) & ~3];
        await _stream.ReadExactlyAsync(padded, timeout.Token);
        if (DataDigest && length > 0)
        {
            var digest = new byte[4];
            await _stream.ReadExactlyAsync(digest, timeout.Token);
            BitConverter.ToUInt32(digest).Should().Be(Crc32C.Compute(padded), "the data digest must match");
        }

        return new ReceivedPdu(header, padded[..length]);
    }

    /// <summary>Every byte the target still sends, raw, until it closes the connection or the timeout passes.</summary>
    public async Task<byte[]> ReadToEndAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var received = new MemoryStream();
        var buffer = new byte[65536];
        try
        {
            int read;
            while ((read = await _stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // Reset by the target, or still open at the timeout: what came is what there is.
        }

        return received.ToArray();
    }

    /// <summary>Whether the target has closed the connection (a read returns end of stream) within the timeout.</summary>
    public async Task<bool> IsClosedByTargetAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                int read = await _stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is null)
        {
            await _stream.DisposeAsync();
        }
        else
        {
            _client.Dispose();
        }
    }

    public static string Text(byte[] bytes) => Encoding.ASCII.GetString(bytes);
}
