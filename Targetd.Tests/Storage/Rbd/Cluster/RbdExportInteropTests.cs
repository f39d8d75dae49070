using Newtonsoft.Json.Linq;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage.Rbd.Cluster;

/// <summary>RBD volumes exported by real targetd processes: qemu-img through one gateway, and two gateways on one volume.</summary>
[Category("Interop")]
[NonParallelizable]
public sealed class RbdExportInteropTests
{
    private const string Initiator = "iqn.2024-01.org.example:rbd-client";

    private static CephCluster Cluster => CephClusterSetUp.Cluster;

    /// <summary>The configuration of a gateway with one RBD pool on the test cluster.</summary>
    internal static string RbdYaml => $"""
        rbd_pools:
          ceph:
            ceph_pool: {CephCluster.Pool}
            ceph_conf: {Cluster.ConfPath}
            client_id: admin
        """;

    [Test]
    [CancelAfter(180_000)]
    public async Task Qemu_img_round_trip_through_an_export_of_an_rbd_volume()
    {
        ExternalTool.Require("qemu-img");
        var folder = Directory.CreateTempSubdirectory("targetd-rbd-export-");
        try
        {
            await using var targetd = await TargetdProcess.StartAsync(folder.FullName, RbdYaml);
            await targetd.CallAsync("vol_create", new { pool = "ceph", name = "roundtrip", size = 32L << 20 });
            await targetd.CallAsync("export_create", new { pool = "ceph", vol = "roundtrip", initiator_wwn = Initiator, lun = 0 });
            string source = Path.Combine(folder.FullName, "source.raw");
            string back = Path.Combine(folder.FullName, "back.raw");
            string fromRbd = Path.Combine(folder.FullName, "rbd.raw");
            var data = RbdPoolInteropTests.Pattern(32 << 20, seed: 5);
            data.AsSpan(8 << 20, 4 << 20).Clear();
            await File.WriteAllBytesAsync(source, data);

            await ExternalTool.RunOkAsync("qemu-img", "convert", "-n", "-f", "raw", source, "--target-image-opts", Driver(targetd));
            await ExternalTool.RunOkAsync("qemu-img", "convert", "--image-opts", Driver(targetd), "-O", "raw", back);
            await Cluster.RbdAsync("export", "roundtrip", fromRbd);

            (await File.ReadAllBytesAsync(back)).Should().Equal(data, "what qemu-img wrote through the gateway reads back through it");
            (await File.ReadAllBytesAsync(fromRbd)).Should().Equal(data, "and it is in the RBD image itself");
            var volumes = (JArray)(await targetd.CallAsync("vol_list", new { pool = "ceph" }))["result"]!;
            volumes.Single(v => (string?)v["name"] == "roundtrip")["uuid"]!.Value<string>().Should().Be((await Cluster.InfoAsync("roundtrip")).Id);

            await targetd.CallAsync("export_destroy", new { pool = "ceph", vol = "roundtrip", initiator_wwn = Initiator });
            await targetd.CallAsync("vol_destroy", new { pool = "ceph", name = "roundtrip" });
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Test]
    [CancelAfter(240_000)]
    public async Task Two_gateways_exporting_one_rbd_volume_serve_one_consistent_disk()
    {
        ExternalTool.Require("qemu-io");
        var folderA = Directory.CreateTempSubdirectory("targetd-rbd-gw-a-");
        var folderB = Directory.CreateTempSubdirectory("targetd-rbd-gw-b-");
        try
        {
            await using var a = await TargetdProcess.StartAsync(folderA.FullName, RbdYaml);
            await using var b = await TargetdProcess.StartAsync(folderB.FullName, RbdYaml);
            await a.CallAsync("vol_create", new { pool = "ceph", name = "shared", size = 64L << 20 });
            var uuidA = ((JArray)(await a.CallAsync("vol_list", new { pool = "ceph" }))["result"]!).Single(v => (string?)v["name"] == "shared")["uuid"];
            var uuidB = ((JArray)(await b.CallAsync("vol_list", new { pool = "ceph" }))["result"]!).Single(v => (string?)v["name"] == "shared")["uuid"];
            uuidB.Should().BeEquivalentTo(uuidA, "both gateways name the volume by its RBD image id");
            await a.CallAsync("export_create", new { pool = "ceph", vol = "shared", initiator_wwn = Initiator, lun = 0 });
            await b.CallAsync("export_create", new { pool = "ceph", vol = "shared", initiator_wwn = Initiator, lun = 0 });

            // Both gateways keep the image open throughout; each round writes through one and reads through the
            // other, half of them on one hot range that both have read and written before, which a gateway-side
            // cache would serve stale.
            var random = new Random(3);
            for (int round = 0; round < 8; round++)
            {
                var (writer, reader) = round % 2 == 0 ? (a, b) : (b, a);
                long offset = round % 4 < 2 ? 2L << 20 : (random.Next(4, 60) * (1L << 20)) + (random.Next(0, 8) * 4096);
                int pattern = 0x10 + round;
                await QemuIoAsync(writer, $"write -P {pattern} {offset} 1M");
                await QemuIoAsync(reader, $"read -P {pattern} {offset} 1M");
            }

            await QemuIoAsync(a, "write -z 0 4M");
            await QemuIoAsync(b, "read -P 0 0 4M");

            // Gateway B no longer exports it, but A still has it open: B must not remove it from under A.
            await b.CallAsync("export_destroy", new { pool = "ceph", vol = "shared", initiator_wwn = Initiator });
            var refused = await b.CallAsync("vol_destroy", new { pool = "ceph", name = "shared" }, expectError: true);
            refused["error"]!["code"]!.Value<int>().Should().Be(-1);
            refused["error"]!["message"]!.Value<string>().Should().Contain("in use by another client");
            await QemuIoAsync(a, "read -P 0 0 4M");

            await a.CallAsync("export_destroy", new { pool = "ceph", vol = "shared", initiator_wwn = Initiator });
            await b.CallAsync("vol_destroy", new { pool = "ceph", name = "shared" });
            (await Cluster.RbdAsync("ls")).Split('\n').Should().NotContain("shared", "once no gateway has it open it can be removed");
        }
        finally
        {
            folderA.Delete(recursive: true);
            folderB.Delete(recursive: true);
        }
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task Unmap_and_write_same_unmap_reach_rbd_and_get_lba_status_reports_them()
    {
        ExternalTool.Require("qemu-io");
        var folder = Directory.CreateTempSubdirectory("targetd-rbd-unmap-");
        try
        {
            await using var targetd = await TargetdProcess.StartAsync(folder.FullName, RbdYaml);
            await targetd.CallAsync("vol_create", new { pool = "ceph", name = "thin", size = 32L << 20 });
            await targetd.CallAsync("export_create", new { pool = "ceph", vol = "thin", initiator_wwn = Initiator, lun = 0 });
            await QemuIoAsync(targetd, "write -P 0x66 0 16M");
            (await AllocatedAsync("thin")).Should().Be(16L << 20);

            await QemuIoAsync(targetd, "discard 0 4M", "-d", "unmap");
            await QemuIoAsync(targetd, "write -z -u 4M 4M", "-d", "unmap");

            (await AllocatedAsync("thin")).Should().Be(8L << 20, "UNMAP and WRITE SAME with UNMAP removed two 4 MiB objects from the image");
            await QemuIoAsync(targetd, "read -P 0 0 8M");
            await QemuIoAsync(targetd, "read -P 0x66 8M 8M");
            var map = JArray.Parse(await ExternalTool.RunOkAsync("qemu-img", "map", "--output=json", "--image-opts", Driver(targetd)));
            map.Where(e => e.Value<bool>("data")).Sum(e => e.Value<long>("length")).Should().Be(8L << 20, "GET LBA STATUS reports only the allocated objects");
            map.Should().Contain(e => e.Value<long>("start") == 8L << 20 && e.Value<bool>("data"));
            await targetd.CallAsync("export_destroy", new { pool = "ceph", vol = "thin", initiator_wwn = Initiator });
            await targetd.CallAsync("vol_destroy", new { pool = "ceph", name = "thin" });
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>The bytes <c>rbd diff</c> reports as existing in an image.</summary>
    private static async Task<long> AllocatedAsync(string image) =>
        JArray.Parse(await Cluster.RbdAsync("diff", "--format", "json", image))
            .Where(e => (string?)e["exists"] == "true" || e["exists"]?.Type == JTokenType.Boolean && e.Value<bool>("exists"))
            .Sum(e => e.Value<long>("length"));

    private static string Driver(TargetdProcess targetd) =>
        $"driver=iscsi,transport=tcp,portal=127.0.0.1:{targetd.PortalPort},target={TargetdProcess.TargetName},lun=0,initiator-name={Initiator}";

    private static async Task QemuIoAsync(TargetdProcess gateway, string command, params string[] options)
    {
        string output = await ExternalTool.RunOkAsync("qemu-io", [.. options, "--image-opts", "-c", command, Driver(gateway)]);
        output.Should().NotContain("Pattern verification failed", $"{command} through the gateway on port {gateway.PortalPort}");
        output.Should().NotContain("failed", command);
    }
}
