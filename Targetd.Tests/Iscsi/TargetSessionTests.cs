using System.Buffers.Binary;
using Targetd.Iscsi;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Server;
using Targetd.Iscsi.Targets;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;

namespace Targetd.Tests.Iscsi;

[CancelAfter(20000)]
public sealed class TargetSessionTests
{
    [Test]
    public async Task Login_negotiates_operational_keys_and_lists_the_session()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using var initiator = await TestInitiator.ConnectAsync(target.EndPoint);

        ushort status = await initiator.LoginAsync(
            LoopbackTarget.TargetName,
            operational:
            [
                new("HeaderDigest", "CRC32C,None"), new("DataDigest", "None"), new("MaxRecvDataSegmentLength", "16384"),
                new("MaxBurstLength", "4194304"), new("FirstBurstLength", "65536"), new("ImmediateData", "No"),
                new("InitialR2T", "No"), new("MaxOutstandingR2T", "64"), new("ErrorRecoveryLevel", "2"),
                new("DefaultTime2Wait", "1"), new("X-com.example.Unknown", "1"),
            ]);

        status.Should().Be(0);
        initiator.Negotiated.Should().Contain(new Dictionary<string, string>
        {
            ["HeaderDigest"] = "CRC32C",
            ["DataDigest"] = "None",
            ["MaxBurstLength"] = "1048576",
            ["FirstBurstLength"] = "65536",
            ["ImmediateData"] = "No",
            ["InitialR2T"] = "No",
            ["MaxOutstandingR2T"] = "16",
            ["ErrorRecoveryLevel"] = "0",
            ["DefaultTime2Wait"] = "1",
            ["X-com.example.Unknown"] = "NotUnderstood",
            ["MaxRecvDataSegmentLength"] = "262144",
        });
        initiator.Tsih.Should().NotBe(0);
        var session = target.Registry.Sessions.Should().ContainSingle().Subject;
        session.InitiatorName.Should().Be(TestInitiator.DefaultName);
        session.Isid.Should().Be("800000010001");
        session.TargetName.Should().Be(LoopbackTarget.TargetName);
        session.Portal.Should().Be(target.EndPoint);

        // With header digests on, a command still round-trips.
        var reply = await initiator.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false);
        reply.Status.Should().Be(ScsiStatus.Good);
    }

    [Test]
    public async Task Writes_with_immediate_data_and_r2t_bursts_read_back_identical()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using var initiator = await TestInitiator.ConnectAsync(target.EndPoint);
        (await initiator.LoginAsync(
            LoopbackTarget.TargetName,
            operational: [new("MaxRecvDataSegmentLength", "8192"), new("MaxBurstLength", "65536"), new("FirstBurstLength", "16384"), new("MaxOutstandingR2T", "2")]))
            .Should().Be(0);
        var data = new byte[300 * 512];
        new Random(3).NextBytes(data);

        var write = await initiator.ExecuteAsync(0, Cdb.Write10(100, 300), data.Length, read: false, write: data);
        var read = await initiator.ExecuteAsync(0, Cdb.Read10(100, 300), data.Length, read: true);

        write.Status.Should().Be(ScsiStatus.Good);
        write.ReadyToTransferPdus.Should().BeGreaterThan(1, "the rest after the first burst comes in MaxBurstLength pieces");
        read.Status.Should().Be(ScsiStatus.Good);
        read.DataInPdus.Should().Be(data.Length / 8192 + 1, "Data-In is cut at the initiator's MaxRecvDataSegmentLength");
        read.Data.Should().Equal(data);
        var stored = new byte[data.Length];
        await target.Device.ReadAsync(100 * 512, stored);
        stored.Should().Equal(data);
    }

    [Test]
    public async Task A_large_read_is_cut_into_numbered_pdus_and_bursts_with_the_status_on_the_last()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using var initiator = await TestInitiator.ConnectAsync(target.EndPoint);
        (await initiator.LoginAsync(
            LoopbackTarget.TargetName,
            operational: [new("MaxRecvDataSegmentLength", "24576"), new("MaxBurstLength", "65536")]))
            .Should().Be(0);
        var data = new byte[400 * 512];
        new Random(5).NextBytes(data);
        await target.Device.WriteAsync(0, data);
        var ping = await initiator.NopAsync([]);

        await initiator.SendAsync(initiator.CommandHeader(77, ScsiCommandFlags.Read, Cdb.Read10(0, 400), data.Length), []);

        var received = new byte[data.Length];
        var pdus = new List<ReceivedPdu>();
        do
        {
            pdus.Add(await initiator.ReceiveAsync());
        }
        while (!pdus[^1].AsDataIn().HasStatus);

        // 200 KiB in 64 KiB bursts of 24 + 24 + 16 KiB, the last burst 8 KiB.
        pdus.Select(p => p.Data.Length).Should().Equal(24576, 24576, 16384, 24576, 24576, 16384, 24576, 24576, 16384, 8192);
        for (int i = 0; i < pdus.Count; i++)
        {
            var pdu = pdus[i];
            pdu.Opcode.Should().Be(IscsiOpcode.DataIn);
            pdu.InitiatorTaskTag.Should().Be(77);
            var dataIn = pdu.AsDataIn();
            dataIn.DataSN.Should().Be((uint)i, "DataSN counts the PDUs of the command");
            uint offset = dataIn.BufferOffset;
            bool burstEnd = (offset + pdu.Data.Length) % 65536 == 0 || i == pdus.Count - 1;
            ((dataIn.Flags & DataInFlags.Final) != 0).Should().Be(burstEnd, "F closes each MaxBurstLength sequence");
            dataIn.HasStatus.Should().Be(i == pdus.Count - 1, "only the last carries the status");
            pdu.Data.CopyTo(received, offset);
        }

        received.Should().Equal(data);
        pdus[^1].StatSN.Should().Be(ping.StatSN + 1, "the status takes the next StatSN");
        pdus[^1].Status.Should().Be(ScsiStatus.Good);
    }

    [Test]
    public async Task A_reserve6_is_released_by_the_time_its_initiator_hears_the_logout_succeeded()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using var holder = await TestInitiator.ConnectAsync(target.EndPoint);
        (await holder.LoginAsync(LoopbackTarget.TargetName, "iqn.2024-01.net.targetd.test:holder")).Should().Be(0);
        await using var other = await TestInitiator.ConnectAsync(target.EndPoint);
        (await other.LoginAsync(LoopbackTarget.TargetName, "iqn.2024-01.net.targetd.test:other")).Should().Be(0);
        byte[] reserve6 = [0x16, 0, 0, 0, 0, 0];
        (await holder.ExecuteAsync(0, reserve6, 0, read: false)).Status.Should().Be(ScsiStatus.Good);
        (await other.ExecuteAsync(0, reserve6, 0, read: false)).Status.Should().Be(ScsiStatus.ReservationConflict);

        var logout = await holder.LogoutAsync();
        var after = await other.ExecuteAsync(0, reserve6, 0, read: false);

        logout.AsLogoutResponse().Response.Should().Be(LogoutResponse.ClosedSuccessfully, "the session closed");
        after.Status.Should().Be(ScsiStatus.Good);
    }

    [Test]
    public async Task Residuals_report_underflow_and_overflow()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using var initiator = await target.LoginAsync();

        var under = await initiator.ExecuteAsync(0, Cdb.Inquiry(allocation: 255), 255, read: true);
        var over = await initiator.ExecuteAsync(0, Cdb.Read10(0, 2), 512, read: true);

        under.Status.Should().Be(ScsiStatus.Good);
        under.ResidualFlags.Should().Be(ScsiResponseFlags.ResidualUnderflow);
        under.Residual.Should().Be((uint)(255 - under.Data.Length));
        over.ResidualFlags.Should().Be(ScsiResponseFlags.ResidualOverflow);
        over.Residual.Should().Be(512);
        over.Data.Should().HaveCount(512);
    }

    [Test]
    public async Task Check_condition_carries_fixed_format_sense()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using var initiator = await target.LoginAsync();

        var reply = await initiator.ExecuteAsync(0, Cdb.Read16(1UL << 40, 1), 512, read: true);

        reply.Status.Should().Be(ScsiStatus.CheckCondition);
        reply.Sense.Should().HaveCount(18);
        reply.Sense[0].Should().Be(0x70);
        reply.SenseKey.Should().Be((byte)SenseKey.IllegalRequest);
        reply.Asc.Should().Be(0x21);
    }

    [Test]
    public async Task Commands_run_concurrently_within_the_cmdsn_window()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using var initiator = await target.LoginAsync();
        const int count = 64;
        for (int i = 0; i < count; i++)
        {
            await initiator.SendAsync(initiator.CommandHeader((uint)(1000 + i), ScsiCommandFlags.Read, Cdb.Read10((uint)i, 1), 512), []);
        }

        var tags = new HashSet<uint>();
        uint maxCmdSN = 0;
        while (tags.Count < count)
        {
            var pdu = await initiator.ReceiveAsync();
            pdu.Opcode.Should().Be(IscsiOpcode.DataIn);
            pdu.AsDataIn().HasStatus.Should().BeTrue("the status is folded into the single Data-In");
            tags.Add(pdu.InitiatorTaskTag);
            maxCmdSN = Math.Max(maxCmdSN, pdu.MaxCmdSN);
        }

        var nop = await initiator.NopAsync([]);
        nop.ExpCmdSN.Should().Be(count + 1, "every command advanced ExpCmdSN");
        maxCmdSN.Should().BeGreaterThanOrEqualTo(count + 1);
        nop.MaxCmdSN.Should().Be(count + 128, "the whole queue is free again");
    }

    [Test]
    public async Task Discovery_lists_visible_targets_with_their_portal()
    {
        await using var target = await LoopbackTarget.StartAsync();
        var hidden = new IscsiTarget("iqn.2024-01.net.targetd.test:hidden");
        hidden.AllowInitiator("iqn.2024-01.net.targetd.test:someone-else");
        target.Registry.Add(hidden);
        await using var initiator = await target.LoginAsync(targetName: null);

        var all = await initiator.TextAsync("SendTargets", "All");

        all["TargetName"].Should().Be(LoopbackTarget.TargetName);
        all["TargetAddress"].Should().Be($"127.0.0.1:{target.EndPoint.Port},1");
        target.Registry.Sessions.Should().ContainSingle().Which.IsDiscovery.Should().BeTrue();
        var scsi = new byte[BasicHeaderSegment.Size];
        _ = new ScsiCommandPduWriter(scsi) { Flags = ScsiCommandFlags.Final, InitiatorTaskTag = 5 };
        await initiator.SendAsync(scsi, []);
        var reject = await initiator.ReceiveAsync();
        reject.Opcode.Should().Be(IscsiOpcode.Reject);
        reject.AsReject().Reason.Should().Be(RejectReason.ProtocolError);
    }

    [Test]
    public async Task Discovery_through_one_portal_lists_every_portal_of_the_registry_its_own_first()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using var second = new IscsiPortal(target.Registry, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        await second.StartAsync();
        await using var wildcard = new IscsiPortal(target.Registry, new System.Net.IPEndPoint(System.Net.IPAddress.Any, 0));
        await wildcard.StartAsync();
        await using var initiator = await TestInitiator.ConnectAsync(second.LocalEndPoint!);
        (await initiator.LoginAsync(targetName: null)).Should().Be(0);

        var all = await initiator.TextAsync("SendTargets", "All");

        all["TargetAddress"].Split(';').Should().Equal(
            $"127.0.0.1:{second.LocalEndPoint!.Port},1",
            $"127.0.0.1:{target.EndPoint.Port},1",
            $"127.0.0.1:{wildcard.LocalEndPoint!.Port},1");
        await wildcard.StopAsync();
        (await initiator.TextAsync("SendTargets", "All"))["TargetAddress"].Split(';').Should().HaveCount(2, "a stopped portal is no longer listed");
    }

    [Test]
    public async Task Nop_out_is_echoed_and_logout_ends_the_session()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using var initiator = await target.LoginAsync();

        var nop = await initiator.NopAsync([1, 2, 3, 4, 5]);
        var logout = await initiator.LogoutAsync();

        nop.Opcode.Should().Be(IscsiOpcode.NopIn);
        nop.Data.Should().Equal(1, 2, 3, 4, 5);
        nop.AsNopIn().TargetTransferTag.Should().Be(BasicHeaderSegment.ReservedTag);
        logout.Opcode.Should().Be(IscsiOpcode.LogoutResponse);
        logout.AsLogoutResponse().Response.Should().Be(LogoutResponse.ClosedSuccessfully);
        logout.StatSN.Should().Be(nop.StatSN + 1);
        (await initiator.IsClosedByTargetAsync()).Should().BeTrue();
        await target.WaitForNoSessionsAsync();
    }

    [Test]
    public async Task Lun_reset_answers_function_complete_and_raises_a_unit_attention()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using var initiator = await target.LoginAsync();

        var reset = await initiator.TaskManagementAsync(TaskManagementFunction.LogicalUnitReset, 0);
        var first = await initiator.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false);
        var second = await initiator.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false);
        var missing = await initiator.TaskManagementAsync(TaskManagementFunction.LogicalUnitReset, 9);
        var abort = await initiator.TaskManagementAsync(TaskManagementFunction.AbortTask, 0, referencedTag: 0x7777);

        reset.Opcode.Should().Be(IscsiOpcode.TaskManagementResponse);
        reset.AsTaskManagementResponse().Response.Should().Be(TaskManagementResponse.FunctionComplete);
        first.Status.Should().Be(ScsiStatus.CheckCondition);
        first.SenseKey.Should().Be((byte)SenseKey.UnitAttention);
        first.Asc.Should().Be(0x29);
        second.Status.Should().Be(ScsiStatus.Good);
        missing.AsTaskManagementResponse().Response.Should().Be(TaskManagementResponse.LunDoesNotExist);
        abort.AsTaskManagementResponse().Response.Should().Be(TaskManagementResponse.TaskDoesNotExist);
    }

    [Test]
    public async Task Abort_task_of_a_write_waiting_for_data_sends_no_response_for_it()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using var initiator = await target.LoginAsync();
        await initiator.SendAsync(initiator.CommandHeader(0x4242, ScsiCommandFlags.Write, Cdb.Write10(0, 8), 4096), []);
        (await initiator.ReceiveAsync()).Opcode.Should().Be(IscsiOpcode.ReadyToTransfer);

        var abort = await initiator.TaskManagementAsync(TaskManagementFunction.AbortTask, 0, referencedTag: 0x4242);
        var after = await initiator.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false);

        abort.AsTaskManagementResponse().Response.Should().Be(TaskManagementResponse.FunctionComplete);
        after.Status.Should().Be(ScsiStatus.Good, "the next PDU is the new command's, not the aborted one's");
    }

    [Test]
    public async Task Abort_task_of_a_running_read_waits_for_it_and_releases_the_connection()
    {
        await using var target = await LoopbackTarget.StartAsync();
        var stalled = Substitute.For<Targetd.Core.BlockDevices.IBlockDevice>();
        stalled.Length.Returns(1024 * 1024);
        stalled.LogicalBlockSize.Returns(512);
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
#pragma warning disable CA2012 // NSubstitute configures the call; the ValueTask is never consumed.
        stalled.ReadAsync(Arg.Any<long>(), Arg.Any<Memory<byte>>(), Arg.Any<CancellationToken>()).Returns(call =>
        {
            reading.TrySetResult();
            return new ValueTask(Task.Delay(Timeout.Infinite, call.Arg<CancellationToken>()));
        });
#pragma warning restore CA2012
        target.Target.AddLun(1, stalled);
        await using (var initiator = await target.LoginAsync())
        {
            await initiator.SendAsync(initiator.CommandHeader(0x6161, ScsiCommandFlags.Read, Cdb.Read10(0, 1), 512, lun: 1), []);
            await reading.Task;

            var abort = await initiator.TaskManagementAsync(TaskManagementFunction.AbortTask, 1, referencedTag: 0x6161);
            var after = await initiator.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false);

            abort.AsTaskManagementResponse().Response.Should().Be(TaskManagementResponse.FunctionComplete, "the read has stopped");
            after.Status.Should().Be(ScsiStatus.Good, "no response for the aborted read comes first");
            (await initiator.LogoutAsync()).Opcode.Should().Be(IscsiOpcode.LogoutResponse);
        }

        await target.WaitForNoSessionsAsync();
    }

    [Test]
    public async Task Removing_a_target_ends_its_sessions_and_removed_luns_are_not_supported()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using var initiator = await target.LoginAsync();
        target.Target.AddLun(3, new Targetd.Core.BlockDevices.MemoryBlockDevice(1024 * 1024));

        var luns = await initiator.ExecuteAsync(0, Cdb.ReportLuns(), 4096, read: true);
        target.Target.RemoveLun(3).Should().BeTrue();
        var gone = await initiator.ExecuteAsync(3, Cdb.TestUnitReady(), 0, read: false);
        target.Registry.Remove(LoopbackTarget.TargetName).Should().BeTrue();

        BinaryPrimitives.ReadUInt32BigEndian(luns.Data).Should().Be(16, "LUNs 0 and 3 are listed");
        luns.Data[8 + 8 + 1].Should().Be(3);
        gone.Asc.Should().Be(0x25);
        (await initiator.IsClosedByTargetAsync()).Should().BeTrue();
        await target.WaitForNoSessionsAsync();
    }

    [Test]
    public async Task Login_failures_carry_their_status_class_and_detail()
    {
        await using var target = await LoopbackTarget.StartAsync();
        target.Registry.Add(new IscsiTarget("iqn.2024-01.net.targetd.test:acl"));
        target.Registry.TryGet("iqn.2024-01.net.targetd.test:acl", out var acl).Should().BeTrue();
        acl!.AllowInitiator("iqn.2024-01.net.targetd.test:other");

        (await LoginStatusAsync(target, "iqn.2024-01.net.targetd.test:nope")).Should().Be(0x0203);
        (await LoginStatusAsync(target, "iqn.2024-01.net.targetd.test:acl")).Should().Be(0x0202);
        target.Target.Chap = new ChapCredentials("user", "secret-of-twelve");
        (await LoginStatusAsync(target, LoopbackTarget.TargetName)).Should().Be(0x0201, "CHAP is required and not offered");
        await target.WaitForNoSessionsAsync();
    }

    [Test]
    public async Task Chap_admits_the_right_secret_and_refuses_a_wrong_one()
    {
        await using var target = await LoopbackTarget.StartAsync();
        target.Target.AllowInitiator(TestInitiator.DefaultName, new ChapCredentials("alice", "alice-secret-1", "target", "target-secret-2"));

        await using (var good = await TestInitiator.ConnectAsync(target.EndPoint))
        {
            (await good.LoginAsync(LoopbackTarget.TargetName, chap: ("alice", "alice-secret-1"), mutual: ("target", "target-secret-2"))).Should().Be(0);
            (await good.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false)).Status.Should().Be(ScsiStatus.Good);
        }

        await using (var oneWay = await TestInitiator.ConnectAsync(target.EndPoint))
        {
            (await oneWay.LoginAsync(LoopbackTarget.TargetName, chap: ("alice", "alice-secret-1")))
                .Should().Be(0x0201, "the target requires mutual CHAP");
        }

        await using (var bad = await TestInitiator.ConnectAsync(target.EndPoint))
        {
            (await bad.LoginAsync(LoopbackTarget.TargetName, chap: ("alice", "wrong-secret"), mutual: ("target", "target-secret-2")))
                .Should().Be(0x0201);
            (await bad.IsClosedByTargetAsync()).Should().BeTrue();
        }

        await target.WaitForNoSessionsAsync();
    }

    [TestCase(6)]
    [TestCase(7)]
    [TestCase(8)]
    public async Task Mutual_chap_with_a_sha_digest_logs_in_and_a_wrong_secret_is_refused(int chapA)
    {
        var algorithm = (ChapAlgorithm)chapA;
        Assume.That(ChapDigest.IsSupported(algorithm), "this platform's cryptography lacks the digest");
        await using var target = await LoopbackTarget.StartAsync();
        target.Target.AllowInitiator(TestInitiator.DefaultName, new ChapCredentials("alice", "alice-secret-1", "target", "target-secret-2"));

        await using (var good = await TestInitiator.ConnectAsync(target.EndPoint))
        {
            (await good.LoginAsync(LoopbackTarget.TargetName, chap: ("alice", "alice-secret-1"), mutual: ("target", "target-secret-2"), chapAlgorithm: algorithm))
                .Should().Be(0, "the initiator checked the target's answer with the same digest");
            (await good.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false)).Status.Should().Be(ScsiStatus.Good);
        }

        await using (var bad = await TestInitiator.ConnectAsync(target.EndPoint))
        {
            (await bad.LoginAsync(LoopbackTarget.TargetName, chap: ("alice", "alice-secret-x"), mutual: ("target", "target-secret-2"), chapAlgorithm: algorithm))
                .Should().Be(0x0201);
        }

        await target.WaitForNoSessionsAsync();
    }

    [Test]
    public async Task Finished_commands_leave_no_background_work_behind()
    {
        await using var target = await LoopbackTarget.StartAsync(timeouts: ConnectionTimeouts.None);
        await using var initiator = await target.LoginAsync();
        for (int i = 0; i < 300; i++)
        {
            var command = i % 3 == 0 ? Cdb.Write10((uint)i, 1) : Cdb.Read10((uint)i, 1);
            (await initiator.ExecuteAsync(0, command, 512, read: i % 3 != 0, write: i % 3 == 0 ? new byte[512] : null)).Status.Should().Be(ScsiStatus.Good);
        }

        var connection = target.Portal.Connections.Should().ContainSingle().Subject;
        for (int i = 0; i < 100 && connection.BackgroundCount > 0; i++)
        {
            await Task.Delay(10);
        }

        connection.BackgroundCount.Should().Be(0, "every command's entry goes when it ends");
    }

    private static async Task<ushort> LoginStatusAsync(LoopbackTarget target, string targetName)
    {
        await using var initiator = await TestInitiator.ConnectAsync(target.EndPoint);
        return await initiator.LoginAsync(targetName);
    }
}
