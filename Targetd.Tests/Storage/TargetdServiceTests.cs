using Newtonsoft.Json.Linq;
using Targetd.Core.Processes;
using Targetd.Storage.Nfs;
using Targetd.Storage.Pools.FileSystems;
using Targetd.Storage.Pools.Images;
using Targetd.Storage.Targetd;

namespace Targetd.Tests.Storage;

/// <summary>targetd's API composed in one call, as the daemon, the tests and an embedding program compose it.</summary>
public sealed class TargetdServiceTests
{
    private static readonly string[] TargetdMethods =
    [
        "pool_list", "vol_list", "vol_create", "vol_destroy", "vol_copy", "vol_resize",
        "export_list", "export_create", "export_destroy", "initiator_set_auth", "initiator_list",
        "access_group_list", "access_group_create", "access_group_destroy", "access_group_init_add", "access_group_init_del",
        "access_group_map_list", "access_group_map_create", "access_group_map_destroy",
        "fs_list", "fs_create", "fs_destroy", "fs_snapshot", "fs_snapshot_delete", "ss_list", "fs_clone",
        "nfs_export_auth_list", "nfs_export_list", "nfs_export_add", "nfs_export_remove",
    ];

    private DirectoryInfo _folder = null!;

    [SetUp]
    public void SetUp() => _folder = Directory.CreateTempSubdirectory("targetd-service-");

    [TearDown]
    public void TearDown() => _folder.Delete(recursive: true);

    [Test]
    public async Task One_call_composes_every_targetd_method_and_exports_reach_the_target()
    {
        using var pool = new ImageDirectoryPool("images", Directory.CreateDirectory(Path.Combine(_folder.FullName, "images")).FullName);
        var fsPool = new DirectoryFsPool(Directory.CreateDirectory(Path.Combine(_folder.FullName, "fs")).FullName, new RecordingProcessRunner());
        await fsPool.InitializeAsync();
        var port = new FakeIscsiTargetPort();
        await using var service = await TargetdService.StartAsync(new TargetdServiceOptions
        {
            TargetName = "iqn.2024-01.net.targetd:service",
            TargetPort = port,
            BlockPools = [pool],
            FsPools = [fsPool],
            Nfs = new NfsExportService(new RecordingProcessRunner(), new ExportsFile(Path.Combine(_folder.FullName, "exports"))),
            StateFile = Path.Combine(_folder.FullName, "state.json"),
        });

        foreach (string method in TargetdMethods)
        {
            var reply = await CallAsync(service, method, new { });
            ((int?)reply["error"]?["code"]).Should().NotBe(-32601, $"{method} is served");
        }

        (await CallAsync(service, "vol_create", new { pool = "images", name = "disk", size = 1 << 20 }))["error"].Should().BeNull();
        (await CallAsync(service, "export_create", new { pool = "images", vol = "disk", initiator_wwn = "iqn.2024-01.org.example:a", lun = 2 }))["error"].Should().BeNull();
        port.Mapped.Keys.Should().BeEquivalentTo([("iqn.2024-01.org.example:a", 2)]);
        service.Exports.IsExported("images", "disk").Should().BeTrue();
        ((int)(await CallAsync(service, "vol_destroy", new { pool = "images", name = "disk" }))["error"]!["code"]!).Should().Be(-303, "an exported volume stays");
        ((int)(await CallAsync(service, "vol_create", new { pool = "nope", name = "x", size = 1 << 20 }))["error"]!["code"]!).Should().Be(-110);
    }

    [Test]
    public async Task Two_block_pools_of_one_name_are_refused()
    {
        using var first = new ImageDirectoryPool("images", Directory.CreateDirectory(Path.Combine(_folder.FullName, "a")).FullName);
        using var second = new ImageDirectoryPool("images", Directory.CreateDirectory(Path.Combine(_folder.FullName, "b")).FullName);

        var start = async () => await TargetdService.StartAsync(new TargetdServiceOptions { TargetName = "iqn.2024-01.net.targetd:x", TargetPort = new FakeIscsiTargetPort(), BlockPools = [first, second] });

        await start.Should().ThrowAsync<ArgumentException>();
    }

    private static async Task<JObject> CallAsync(TargetdService service, string method, object parameters)
    {
        var request = new JObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method, ["params"] = JObject.FromObject(parameters) };
        return JObject.Parse(await service.Processor.ProcessAsync(request.ToString()));
    }
}
