using System.Buffers.Binary;
using System.Net;
using Targetd.Iscsi.Scsi;
using Targetd.Tests.Iscsi;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage.Rbd.Cluster;

/// <summary>One RBD volume served by two gateway processes: the reservations are the cluster's, not a gateway's.</summary>
[Category("Interop")]
[NonParallelizable]
public sealed class RbdReservationInteropTests
{
    private const string A = "iqn.2024-01.net.targetd.test:initiator-1";
    private const string B = "iqn.2024-01.net.targetd.test:initiator-2";

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
                await one.CallAsync("vol_create", new { pool = "ceph", name = "reserved", size = 16L << 20 });
                await ExportAsync(one, "reserved");
                await ExportAsync(two, "reserved");
                await using var a = await LoginAsync(one, A);
                await using var b = await LoginAsync(two, B);
                await a.ClearUnitAttentionsAsync(0);
                await b.ClearUnitAttentionsAsync(0);

                (await a.ExecuteAsync(0, Cdb.PersistentReserveOut(0x00, 0, 24), 24, false, ReservationDriver.Parameters(0, 0xA11CE))).Status.Should().Be(ScsiStatus.Good);
                (await a.ExecuteAsync(0, Cdb.PersistentReserveOut(0x01, 0x01, 24), 24, false, ReservationDriver.Parameters(0xA11CE, 0))).Status.Should().Be(ScsiStatus.Good);

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

    private static async Task ExportAsync(TargetdProcess gateway, string volume)
    {
        await gateway.CallAsync("export_create", new { pool = "ceph", vol = volume, initiator_wwn = A, lun = 0 });
        await gateway.CallAsync("export_create", new { pool = "ceph", vol = volume, initiator_wwn = B, lun = 0 });
    }

    /// <summary>A session of <paramref name="initiatorName"/> logged in to the gateway's target.</summary>
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
