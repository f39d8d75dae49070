using Newtonsoft.Json.Linq;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage.Rbd;

/// <summary>A real targetd whose RBD pool cannot connect: it starts, says why, and its other pools keep working.</summary>
[Category("Interop")]
[NonParallelizable]
public sealed class RbdUnavailableInteropTests
{
    [Test]
    [CancelAfter(120_000)]
    public async Task An_rbd_pool_without_a_cluster_is_unavailable_and_the_image_pool_still_serves()
    {
        var folder = Directory.CreateTempSubdirectory("targetd-rbd-down-");
        try
        {
            string conf = Path.Combine(folder.FullName, "no-such-ceph.conf");
            await using var targetd = await TargetdProcess.StartAsync(folder.FullName, $"""
                rbd_pools:
                  ceph:
                    ceph_conf: {conf}
                """);

            var pools = (JArray)(await targetd.RequestAsync("pool_list", new { }))["result"]!;
            var volumes = await targetd.RequestAsync("vol_list", new { pool = "ceph" });
            await targetd.RequestAsync("vol_create", new { pool = "images", name = "still-works", size = 1L << 20 });
            var images = (JArray)(await targetd.RequestAsync("vol_list", new { pool = "images" }))["result"]!;

            pools.Select(p => (string?)p["name"]).Should().BeEquivalentTo("images", "ceph");
            pools.Single(p => (string?)p["name"] == "ceph")["size"]!.Value<long>().Should().Be(0);
            volumes["error"]!["code"]!.Value<int>().Should().Be(-1);
            volumes["error"]!["message"]!.Value<string>().Should().StartWith("RBD pool 'ceph' is unavailable:").And.Match(m => m.Contains(conf, StringComparison.Ordinal) || m.Contains("librbd1", StringComparison.Ordinal));
            images.Should().ContainSingle(v => (string?)v["name"] == "still-works");
            targetd.Log.Should().Contain("RBD pool ceph is unavailable");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_bad_rbd_pools_entry_stops_the_start_with_a_message_naming_the_key()
    {
        var folder = Directory.CreateTempSubdirectory("targetd-rbd-bad-");
        try
        {
            var start = () => TargetdProcess.StartAsync(folder.FullName, """
                rbd_pools:
                  ceph:
                    ceph_pool: a/b
                """);

            var sameName = () => TargetdProcess.StartAsync(folder.FullName, "rbd_pools: { images: {} }");

            (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("rbd_pools: 'ceph': ceph_pool and client_id must be non-empty names without '/'");
            (await sameName.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("rbd_pools: pool name 'images' is also an image, LVM or ZFS pool");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
