using Targetd.Iscsi.Scsi;
using Targetd.Tests.Iscsi;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage.Rbd.Cluster;

/// <summary>Implicit ALUA across two gateway processes serving the same RBD volumes (SPC-4 §5.16).</summary>
[Category("Interop")]
[NonParallelizable]
public sealed class RbdAluaInteropTests
{
    private const string Initiator = "iqn.2024-01.net.targetd.test:alua-initiator";

    private static readonly string[] Volumes = ["alua-a", "alua-b", "alua-c", "alua-d"];

    [Test]
    [CancelAfter(240_000)]
    public async Task Both_gateways_report_both_groups_with_the_same_owner_and_each_names_its_own_port()
    {
        var gateways = Directory.CreateTempSubdirectory("targetd-rbd-alua-");
        try
        {
            await using var one = await TargetdProcess.StartAsync(gateways.CreateSubdirectory("one").FullName, Yaml(1));
            await using var two = await TargetdProcess.StartAsync(gateways.CreateSubdirectory("two").FullName, Yaml(2));
            for (int lun = 0; lun < Volumes.Length; lun++)
            {
                await one.CallAsync("vol_create", new { pool = "ceph", name = Volumes[lun], size = 8L << 20 });
                await one.CallAsync("export_create", new { pool = "ceph", vol = Volumes[lun], initiator_wwn = Initiator, lun });
                await two.CallAsync("export_create", new { pool = "ceph", vol = Volumes[lun], initiator_wwn = Initiator, lun });
            }

            await using var a = await RbdReservationInteropTests.LoginAsync(one, Initiator);
            await using var b = await RbdReservationInteropTests.LoginAsync(two, Initiator);
            var owners = new List<int>();
            for (int lun = 0; lun < Volumes.Length; lun++)
            {
                await a.ClearUnitAttentionsAsync(lun);
                await b.ClearUnitAttentionsAsync(lun);
                var throughOne = await ReportAsync(a, lun);
                var throughTwo = await ReportAsync(b, lun);
                var (naa, portOne) = await IdentificationAsync(a, lun);
                var (_, portTwo) = await IdentificationAsync(b, lun);

                throughOne.Should().Equal(throughTwo, "every gateway reports the same groups in the same states");
                throughOne.Length.Should().Be(4 + (2 * 12), "two groups of one port each");
                int owner = throughOne[4] >= 0x80 ? 1 : 2;
                int expected = new TargetPortGroupSettings(1, [1, 2], AluaOptimizedRule.Spread)
                    .For(ScsiDeviceIdentity.FromSerial(await SerialAsync(a, lun)), shared: true).Optimized;
                owner.Should().Be(expected, "spread: a hash of the volume's NAA designator {0} picks the owner", naa);
                foreach (int group in new[] { 1, 2 })
                {
                    var descriptor = throughOne.AsSpan(4 + ((group - 1) * 12), 12).ToArray();
                    descriptor.Should().Equal(
                        (byte)(group == owner ? 0x80 : 0x01), 0x03, 0x00, (byte)group, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, (byte)group);
                }

                portOne.Should().Be(1);
                portTwo.Should().Be(2);
                owners.Add(owner);
            }

            await TestContext.Progress.WriteLineAsync($"owners of {string.Join(", ", Volumes)}: {string.Join(", ", owners)}");
            foreach (string volume in Volumes)
            {
                await one.CallAsync("vol_destroy", new { pool = "ceph", name = volume }, expectError: true);
            }
        }
        finally
        {
            gateways.Delete(recursive: true);
        }
    }

    private static string Yaml(int group) => $"""
        {RbdExportInteropTests.RbdYaml}
        target_port_group: {group}
        target_port_groups: [1, 2]
        alua_optimized: spread
        """;

    private static async Task<byte[]> ReportAsync(TestInitiator initiator, int lun)
    {
        var reply = await initiator.ExecuteAsync(lun, Cdb.ReportTargetPortGroups(), 4096, true);
        reply.Status.Should().Be(ScsiStatus.Good);
        return reply.Data;
    }

    private static async Task<string> SerialAsync(TestInitiator initiator, int lun)
    {
        var reply = await initiator.ExecuteAsync(lun, Cdb.Inquiry(true, 0x80), 255, true);
        return System.Text.Encoding.ASCII.GetString(reply.Data, 4, reply.Data[3]);
    }

    /// <summary>The device identification page's NAA designator (hex) and the relative target port, which must equal the group.</summary>
    private static async Task<(string Naa, int Port)> IdentificationAsync(TestInitiator initiator, int lun)
    {
        var page = (await initiator.ExecuteAsync(lun, Cdb.Inquiry(true, 0x83), 255, true)).Data;
        var tail = page[^16..];
        tail[1].Should().Be(0x94, "a relative target port designator");
        tail[9].Should().Be(0x95, "a target port group designator");
        int port = (tail[6] << 8) | tail[7];
        ((tail[14] << 8) | tail[15]).Should().Be(port, "the gateway's group is its relative target port");
        return (Convert.ToHexStringLower(page, 8, page[7]), port);
    }
}
