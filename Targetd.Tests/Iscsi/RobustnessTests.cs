using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Server;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;

namespace Targetd.Tests.Iscsi;

/// <summary>Misbehaving initiators over a real loopback socket: the target survives, serves a fresh session and leaks no session.</summary>
[CancelAfter(20000)]
public sealed class RobustnessTests
{
    [Test]
    public async Task Unknown_opcode_is_rejected_and_the_connection_still_serves()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using (var initiator = await target.LoginAsync())
        {
            var header = new byte[BasicHeaderSegment.Size];
            PduFields.Begin(header, (IscsiOpcode)0x1C, 0x80);
            PduFields.SetUInt32(header, PduFields.InitiatorTaskTagAt, 9);
            await initiator.SendAsync(header, [1, 2, 3]);
            var reject = await initiator.ReceiveAsync();
            var read = await initiator.ExecuteAsync(0, Cdb.Read10(0, 1), 512, read: true);

            reject.Opcode.Should().Be(IscsiOpcode.Reject);
            reject.AsReject().Reason.Should().Be(RejectReason.CommandNotSupported);
            reject.Data.Should().Equal(header, "the Reject carries the offending header");
            read.Status.Should().Be(ScsiStatus.Good);
        }

        await target.WaitForNoSessionsAsync();
        await target.AssertServesFreshSessionAsync();
    }

    [Test]
    public async Task Data_segment_above_the_limit_closes_the_connection()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using (var initiator = await target.LoginAsync())
        {
            var header = new byte[BasicHeaderSegment.Size];
            _ = new NopOutPduWriter(header) { InitiatorTaskTag = 1, DataSegmentLength = 0x00FFFFFF };
            await initiator.SendRawAsync(header);

            (await initiator.IsClosedByTargetAsync()).Should().BeTrue();
        }

        await target.WaitForNoSessionsAsync();
        await target.AssertServesFreshSessionAsync();
    }

    [Test]
    public async Task Wrong_header_digest_closes_the_connection()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using (var initiator = await TestInitiator.ConnectAsync(target.EndPoint))
        {
            (await initiator.LoginAsync(LoopbackTarget.TargetName, operational: [new("HeaderDigest", "CRC32C")])).Should().Be(0);
            initiator.HeaderDigest.Should().BeTrue();
            var header = new byte[BasicHeaderSegment.Size];
            _ = new NopOutPduWriter(header) { IsImmediate = true, InitiatorTaskTag = 1 };
            await initiator.SendAsync(header, [], corruptHeaderDigest: true);

            (await initiator.IsClosedByTargetAsync()).Should().BeTrue();
        }

        await target.WaitForNoSessionsAsync();
        await target.AssertServesFreshSessionAsync();
    }

    [Test]
    public async Task Data_out_for_an_unknown_task_is_rejected()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using (var initiator = await target.LoginAsync())
        {
            var header = new byte[BasicHeaderSegment.Size];
            _ = new DataOutPduWriter(header) { IsFinal = true, InitiatorTaskTag = 0xABCD, TargetTransferTag = 77 };
            await initiator.SendAsync(header, new byte[512]);
            var reject = await initiator.ReceiveAsync();
            var read = await initiator.ExecuteAsync(0, Cdb.Read10(0, 1), 512, read: true);

            reject.Opcode.Should().Be(IscsiOpcode.Reject);
            reject.AsReject().Reason.Should().Be(RejectReason.InvalidPduField);
            read.Status.Should().Be(ScsiStatus.Good);
        }

        await target.WaitForNoSessionsAsync();
        await target.AssertServesFreshSessionAsync();
    }

    [Test]
    public async Task Data_out_with_a_wrong_data_sn_fails_the_command_and_the_connection_still_serves()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using (var initiator = await target.LoginAsync())
        {
            await initiator.SendAsync(initiator.CommandHeader(0x51, ScsiCommandFlags.Write, Cdb.Write10(0, 1), 512), []);
            var r2t = await initiator.ReceiveAsync();
            r2t.Opcode.Should().Be(IscsiOpcode.ReadyToTransfer);
            var dataOut = new byte[BasicHeaderSegment.Size];
            _ = new DataOutPduWriter(dataOut) { IsFinal = true, InitiatorTaskTag = 0x51, TargetTransferTag = r2t.AsReadyToTransfer().TargetTransferTag, DataSN = 27 };
            await initiator.SendAsync(dataOut, new byte[512]);

            var response = await initiator.ReceiveAsync();
            var read = await initiator.ExecuteAsync(0, Cdb.Read10(0, 1), 512, read: true);

            response.Opcode.Should().Be(IscsiOpcode.ScsiResponse);
            response.AsScsiResponse().Status.Should().Be(ScsiStatus.CheckCondition);
            response.Data[2 + 2].Should().Be((byte)SenseKey.AbortedCommand);
            read.Status.Should().Be(ScsiStatus.Good);
        }

        await target.WaitForNoSessionsAsync();
        await target.AssertServesFreshSessionAsync();
    }

    [TestCase(7, 0x020A, TestName = "Login_naming_an_unknown_tsih_is_refused_as_a_session_that_does_not_exist")]
    [TestCase(0, 0x0206, TestName = "Login_adding_a_second_connection_to_a_session_is_refused_as_too_many_connections")]
    public async Task Login_with_a_tsih_is_refused_and_the_established_session_is_untouched(int tsihOffset, int status)
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using (var established = await target.LoginAsync())
        await using (var stranger = await TestInitiator.ConnectAsync(target.EndPoint))
        {
            // RFC 7143 §11.13.5: a TSIH other than 0 adds a connection to the session it names. With MaxConnections=1
            // that session is full (class 02h detail 06h); a TSIH the target never gave names none (detail 0Ah).
            var response = await stranger.LoginStepAsync(
                1, 3, transit: true, [new("InitiatorName", TestInitiator.DefaultName), new("TargetName", LoopbackTarget.TargetName)], (ushort)(established.Tsih + tsihOffset));

            TestInitiator.Status(response).Should().Be((ushort)status);
            (await stranger.IsClosedByTargetAsync()).Should().BeTrue();
            (await established.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false)).Status.Should().Be(ScsiStatus.Good, "the established session is untouched");
        }

        await target.WaitForNoSessionsAsync();
        await target.AssertServesFreshSessionAsync();
    }

    [Test]
    public async Task Half_sent_pdu_then_disconnect_leaves_nothing_behind()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using (var initiator = await target.LoginAsync())
        {
            var header = new byte[BasicHeaderSegment.Size];
            _ = new ScsiCommandPduWriter(header)
            {
                Flags = ScsiCommandFlags.Final | ScsiCommandFlags.Write,
                Attribute = TaskAttribute.Simple,
                InitiatorTaskTag = 1,
                DataSegmentLength = 4096,
            };
            await initiator.SendRawAsync([.. header, .. new byte[100]]);
        }

        await target.WaitForNoSessionsAsync();
        await target.AssertServesFreshSessionAsync();
    }

    [Test]
    public async Task Disconnect_in_the_middle_of_a_write_and_of_a_read_leaves_nothing_behind()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using (var initiator = await target.LoginAsync())
        {
            await initiator.SendAsync(initiator.CommandHeader(1, ScsiCommandFlags.Write, Cdb.Write10(0, 2048), 1024 * 1024), new byte[8192]);
            (await initiator.ReceiveAsync()).Opcode.Should().Be(IscsiOpcode.ReadyToTransfer);

            await initiator.SendAsync(initiator.CommandHeader(2, ScsiCommandFlags.Read, Cdb.Read10(0, 8192), 4 * 1024 * 1024), []);
        }

        await target.WaitForNoSessionsAsync();
        await target.AssertServesFreshSessionAsync();
    }

    [Test]
    public async Task Garbage_before_login_closes_the_connection()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using (var initiator = await TestInitiator.ConnectAsync(target.EndPoint))
        {
            var junk = new byte[200];
            new Random(5).NextBytes(junk);
            PduFields.SetByte(junk, PduFields.OpcodeAt, (byte)IscsiOpcode.ScsiCommand);
            PduFields.SetTotalAhsLength(junk, 0);
            PduFields.SetDataSegmentLength(junk, 0);
            await initiator.SendRawAsync(junk);

            (await initiator.IsClosedByTargetAsync()).Should().BeTrue();
        }

        await target.WaitForNoSessionsAsync();
        await target.AssertServesFreshSessionAsync();
    }

    [Test]
    public async Task Stopping_the_portal_ends_running_sessions()
    {
        var target = await LoopbackTarget.StartAsync();
        await using var initiator = await target.LoginAsync();

        await target.Portal.StopAsync();

        (await initiator.IsClosedByTargetAsync()).Should().BeTrue();
        target.Registry.Sessions.Should().BeEmpty();
        await target.DisposeAsync();
    }
}
