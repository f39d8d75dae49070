using System.Net.Http.Headers;
using System.Text;
using Newtonsoft.Json.Linq;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage.FileSystems;

/// <summary>The <c>targetd</c> executable serving a btrfs fs pool (<c>fs_pools</c>) and a folder pool (<c>dir_fs_pools</c>).</summary>
[Category("Interop")]
[NonParallelizable]
[CancelAfter(300_000)]
public sealed class TargetdFsHostInteropTests
{
    [Test]
    public async Task Both_kinds_of_fs_pool_are_served_over_http()
    {
        await using var btrfs = await LoopBtrfs.CreateAsync();
        var folder = Directory.CreateTempSubdirectory("targetd-fs-host-");
        try
        {
            string dirPool = Directory.CreateDirectory(Path.Combine(folder.FullName, "fs")).FullName;
            await using var targetd = await TargetdProcess.StartAsync(folder.FullName, $"""
                fs_pools: [{btrfs.MountPoint}]
                dir_fs_pools: [fs]
                nfs_exports_file: exports.d/targetd.exports
                """);
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{targetd.Port}/") };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:secret")));

            var pools = (JArray)(await CallAsync(client, "pool_list"))["result"]!;
            var created = await CallAsync(client, "fs_create", new { pool_name = btrfs.MountPoint, name = "vol1", size_bytes = 0 });
            await CallAsync(client, "fs_create", new { pool_name = dirPool, name = "vol1", size_bytes = 0 });
            var listed = (JArray)(await CallAsync(client, "fs_list"))["result"]!;
            var auth = await CallAsync(client, "nfs_export_auth_list");
            var refused = await CallAsync(client, "nfs_export_add", new { host = "127.0.0.1", path = Path.Combine(dirPool, "targetd_fs", "vol1"), options = new[] { "rw", "ro" } });
            string shown = await ExternalTool.RunOkAsync("btrfs", "subvolume", "show", Path.Combine(btrfs.MountPoint, "targetd_fs", "vol1"));

            pools.Where(p => (string?)p["type"] == "fs").Select(p => (string?)p["name"]).Should().Equal(btrfs.MountPoint, dirPool);
            created["result"]!.Type.Should().Be(JTokenType.Null, created.ToString());
            listed.Select(f => ((string?)f["pool"], (string?)f["full_path"])).Should().BeEquivalentTo(new[]
            {
                (btrfs.MountPoint, Path.Combine(btrfs.MountPoint, "targetd_fs", "vol1")),
                (dirPool, Path.Combine(dirPool, "targetd_fs", "vol1")),
            });
            auth["result"]!.Select(t => (string?)t).Should().Equal("sys", "krb5", "krb5i", "krb5p");
            ((int?)refused["error"]?["code"]).Should().Be(-32602, refused.ToString());
            File.Exists(Path.Combine(folder.FullName, "exports.d", "targetd.exports")).Should().BeFalse();
            shown.Should().Contain((string)listed.Single(f => (string?)f["pool"] == btrfs.MountPoint)["uuid"]!);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<JObject> CallAsync(HttpClient client, string method, object? parameters = null)
    {
        var request = new JObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method };
        if (parameters is not null)
        {
            request["params"] = JObject.FromObject(parameters);
        }

        using var response = await client.PostAsync("targetrpc", new StringContent(request.ToString(), Encoding.UTF8, "application/json"));
        return JObject.Parse(await response.Content.ReadAsStringAsync());
    }
}
