using System.Buffers.Binary;
using System.Net;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;
using Targetd.Tests.Iscsi;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage.Rbd.Cluster;

/// <summary>One RBD volume served by two gateway processes: the reservations are the cluster's, not a gateway's.</summary>
[Category("Interop")]
[NonParallelizable]
public sealed class RbdReservationInteropTests
{
    internal const string A = "iqn.2024-01.net.targetd.test:initiator-1";
    internal const string B = "iqn.2024-01.net.targetd.test:initiator-2";

    private static string RbdYaml => RbdExportInteropTests.RbdYaml;

    [Test]
    [CancelAfter(240_000)]
    public async Task A_reservation_through_one_gateway_conflicts_through_the_other_and_outlives_both()
    {
        var folderA = Directory.CreateTempSubdirectory("targetd-rbd-pr-a-");
        var folderB = Directory.CreateTempSubdirectory("targetd-rbd-pr-b-");
        try
        {
            await using (var one = await TargetdProcess.StartAsync(folderA.FullName, RbdYaml))
            await using (var two = await TargetdProcess.StartAsync(folderB.FullName, RbdYaml))
            {
                var (a, b) = await ServeAndLogInAsync(one, two, "reserved");
                await using var initiatorA = a;
                await using var initiatorB = b;
                await RegisterAndReserveAsync(a);

                await ShouldSeeReservationAsync(b);
                (await a.ExecuteAsync(0, Cdb.Write10(0, 1), 512, false, new byte[512])).Status.Should().Be(ScsiStatus.Good, "the holder writes through its gateway");
            }

            // Both gateways were killed (SIGKILL); a new one reads the same registrations from the cluster.
            await using var again = await TargetdProcess.StartAsync(folderB.FullName, RbdYaml);
            await using var b2 = await LoginAsync(again, B);
            await b2.ClearUnitAttentionsAsync(0);
            await ShouldSeeReservationAsync(b2);
        }
        finally
        {
            folderA.Delete(recursive: true);
            folderB.Delete(recursive: true);
        }
    }

    [Test]
    [CancelAfter(240_000)]
    public async Task A_preempt_and_abort_through_one_gateway_has_fenced_the_other_gateways_nexus_when_it_completes()
    {
        var folderA = Directory.CreateTempSubdirectory("targetd-rbd-pa-a-");
        var folderB = Directory.CreateTempSubdirectory("targetd-rbd-pa-b-");
        try
        {
            await using var one = await TargetdProcess.StartAsync(folderA.FullName, RbdYaml);
            await using var two = await TargetdProcess.StartAsync(folderB.FullName, RbdYaml);
            var (a, b) = await ServeAndLogInAsync(one, two, "fenced");
            await using var initiatorA = a;
            await using var initiatorB = b;
            await RegisterAndReserveAsync(a);
            (await b.ExecuteAsync(0, Cdb.PersistentReserveOut(0x00, 0, 24), 24, false, ReservationDriver.Parameters(0, 0xB0B))).Status.Should().Be(ScsiStatus.Good);

            // A WRITE from the holder through gateway 1, admitted and waiting for its data when the preemption comes.
            uint write = a.TakeNextTaskTag();
            await a.SendAsync(a.CommandHeader(write, ScsiCommandFlags.Write, Cdb.Write10(8, 1), 512), []);
            var r2t = await a.ReceiveAsync();
            r2t.Opcode.Should().Be(IscsiOpcode.ReadyToTransfer, "the write waits for its data");

            var clock = System.Diagnostics.Stopwatch.StartNew();
            var preempt = await b.ExecuteAsync(0, Cdb.PersistentReserveOut(0x05, 0x01, 24), 24, false, ReservationDriver.Parameters(0xB0B, 0xA11CE));
            clock.Stop();
            preempt.Status.Should().Be(ScsiStatus.Good);
            await TestContext.Progress.WriteLineAsync($"PREEMPT AND ABORT through gateway 2 completed in {clock.Elapsed.TotalMilliseconds:F0} ms");

            // Gateway 1 has aborted the waiting write already: an ABORT TASK for it finds no task, where the write would
            // otherwise still wait for its data (and land once it came).
            var abort = await a.TaskManagementAsync(TaskManagementFunction.AbortTask, 0, write);
            abort.AsTaskManagementResponse().Response.Should().Be(TaskManagementResponse.TaskDoesNotExist, "the preempted nexus's task was aborted by the time the preemption completed");
            var probe = await a.ExecuteAsync(0, Cdb.TestUnitReady(), 0, false);
            (probe.Status, probe.SenseKey, probe.Asc, probe.Sense[13]).Should().Be((ScsiStatus.CheckCondition, (byte)6, (byte)0x2A, (byte)0x05), "UNIT ATTENTION, REGISTRATIONS PREEMPTED");
            (await a.ExecuteAsync(0, Cdb.Write10(8, 1), 512, false, Enumerable.Repeat((byte)0xA5, 512).ToArray())).Status.Should().Be(ScsiStatus.ReservationConflict);

            var read = await b.ExecuteAsync(0, Cdb.Read10(8, 1), 512, true);
            read.Data.Should().OnlyContain(x => x == 0, "the fenced initiator's writes never reached the disk");
        }
        finally
        {
            folderA.Delete(recursive: true);
            folderB.Delete(recursive: true);
        }
    }

    [TestCase("SCSI.MultipathIO")]
    [TestCase("SCSI.ProutRegister")]
    [TestCase("SCSI.ProutReserve")]
    [TestCase("SCSI.ProutClear")]
    [TestCase("SCSI.ProutPreempt")]
    [TestCase("SCSI.PrinReadKeys")]
    [TestCase("SCSI.Reserve6")]
    [TestCase("SCSI.CompareAndWrite")]
    [CancelAfter(300_000)]
    public async Task Iscsi_test_cu_across_two_gateways_has_no_failures(string suite)
    {
        var folderA = Directory.CreateTempSubdirectory("targetd-rbd-cu-a-");
        var folderB = Directory.CreateTempSubdirectory("targetd-rbd-cu-b-");
        string volume = "cu-" + suite.Split('.')[1].ToLowerInvariant();
        try
        {
            await using var one = await TargetdProcess.StartAsync(folderA.FullName, RbdYaml);
            await using var two = await TargetdProcess.StartAsync(folderB.FullName, RbdYaml);
            await one.CallAsync("vol_create", new { pool = "ceph", name = volume, size = 64L << 20 });
            await ExportAsync(one, volume);
            await ExportAsync(two, volume);

            var (_, output) = await InteropTool.RunAsync(
                "iscsi-test-cu", ["--dataloss", "-v", "-i", A, "-I", B, "-t", suite, Url(one), Url(two)], timeoutSeconds: 240);
            string log = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"iscsi-test-cu-rbd-{suite}.log");
            await File.WriteAllTextAsync(log, output);
            TestContext.AddTestAttachment(log);

            var score = TestCuScore.Parse(output);
            await TestContext.Progress.WriteLineAsync($"iscsi-test-cu -t {suite} across two gateways: {score}");
            score.Failed.Should().BeEmpty(output);
            score.Clean.Should().NotBeEmpty(output);
            await one.CallAsync("vol_destroy", new { pool = "ceph", name = volume }, expectError: true);
        }
        finally
        {
            folderA.Delete(recursive: true);
            folderB.Delete(recursive: true);
        }
    }

    private static string Url(TargetdProcess gateway) => $"iscsi://127.0.0.1:{gateway.PortalPort}/{TargetdProcess.TargetName}/0";

    /// <summary>Creates a volume, exports it through both gateways, and logs initiator A in through one, B through two.</summary>
    private static async Task<(TestInitiator A, TestInitiator B)> ServeAndLogInAsync(TargetdProcess one, TargetdProcess two, string volume)
    {
        await one.CallAsync("vol_create", new { pool = "ceph", name = volume, size = 16L << 20 });
        await ExportAsync(one, volume);
        await ExportAsync(two, volume);
        var a = await LoginAsync(one, A);
        var b = await LoginAsync(two, B);
        await a.ClearUnitAttentionsAsync(0);
        await b.ClearUnitAttentionsAsync(0);
        return (a, b);
    }

    /// <summary>Registers key A11CE and takes a write exclusive reservation with it.</summary>
    private static async Task RegisterAndReserveAsync(TestInitiator initiator)
    {
        (await initiator.ExecuteAsync(0, Cdb.PersistentReserveOut(0x00, 0, 24), 24, false, ReservationDriver.Parameters(0, 0xA11CE))).Status.Should().Be(ScsiStatus.Good);
        (await initiator.ExecuteAsync(0, Cdb.PersistentReserveOut(0x01, 0x01, 24), 24, false, ReservationDriver.Parameters(0xA11CE, 0))).Status.Should().Be(ScsiStatus.Good);
    }

    /// <summary>Exports the volume through the gateway to both initiators, at LUN 0.</summary>
    internal static async Task ExportAsync(TargetdProcess gateway, string volume)
    {
        await gateway.CallAsync("export_create", new { pool = "ceph", vol = volume, initiator_wwn = A, lun = 0 });
        await gateway.CallAsync("export_create", new { pool = "ceph", vol = volume, initiator_wwn = B, lun = 0 });
    }

    /// <summary>Logs the initiator in to the gateway's target.</summary>
    internal static async Task<TestInitiator> LoginAsync(TargetdProcess targetd, string initiatorName)
    {
        var initiator = await TestInitiator.ConnectAsync(new IPEndPoint(IPAddress.Loopback, targetd.PortalPort));
        (await initiator.LoginAsync(TargetdProcess.TargetName, initiatorName)).Should().Be(0, "the login of " + initiatorName);
        return initiator;
    }

    private static async Task ShouldSeeReservationAsync(TestInitiator initiator)
    {
        var reservation = await initiator.ExecuteAsync(0, Cdb.PersistentReserveIn(0x01, 255), 255, true);
        reservation.Status.Should().Be(ScsiStatus.Good);
        BinaryPrimitives.ReadUInt32BigEndian(reservation.Data.AsSpan(4)).Should().Be(16, "one reservation descriptor");
        BinaryPrimitives.ReadUInt64BigEndian(reservation.Data.AsSpan(8)).Should().Be(0xA11CEUL);
        var write = await initiator.ExecuteAsync(0, Cdb.Write10(0, 1), 512, false, new byte[512]);
        write.Status.Should().Be(ScsiStatus.ReservationConflict, "another initiator's write through the other gateway");
    }
}
