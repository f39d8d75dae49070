using Newtonsoft.Json.Linq;
using Targetd.Qcow2;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Pools.Images;
using Targetd.Storage.Targetd;

namespace Targetd.Tests.Storage;

/// <summary>Export, initiator and access-group methods over a fake iSCSI port and a real image pool.</summary>
public sealed class TargetdExportMethodsTests
{
    private const string Target = "iqn.2024-01.net.targetd:test";
    private const string A = "iqn.2024-01.org.example:a";
    private const string B = "iqn.2024-01.org.example:b";
    private DirectoryInfo _folder = null!;
    private ImageDirectoryPool _pool = null!;
    private FakeIscsiTargetPort _port = null!;
    private TargetdService _service = null!;
    private int _id;

    [SetUp]
    public async Task SetUp()
    {
        _folder = Directory.CreateTempSubdirectory("targetd-exports-");
        _pool = new ImageDirectoryPool("images", _folder.FullName);
        _port = new FakeIscsiTargetPort();
        await StartAsync();
        await CallAsync("vol_create", new { pool = "images", name = "v1", size = 1 << 20 });
        await CallAsync("vol_create", new { pool = "images", name = "v2", size = 1 << 20 });
    }

    private async Task StartAsync()
    {
        _service = await TargetdService.StartAsync(new TargetdServiceOptions
        {
            TargetName = Target,
            TargetPort = _port,
            BlockPools = [_pool],
            StateFile = Path.Combine(_folder.FullName, "exports.json"),
        });
    }

    [TearDown]
    public async Task TearDown()
    {
        await _service.DisposeAsync();
        _pool.Dispose();
        _folder.Delete(recursive: true);
    }

    private async Task<JToken> CallAsync(string method, object? parameters = null, int? expectError = null)
    {
        var request = new JObject { ["jsonrpc"] = "2.0", ["id"] = ++_id, ["method"] = method };
        if (parameters is not null)
        {
            request["params"] = JObject.FromObject(parameters);
        }

        var reply = JObject.Parse(await _service.Processor.ProcessAsync(request.ToString()));
        if (expectError is { } code)
        {
            ((int?)reply["error"]?["code"]).Should().Be(code, reply.ToString());
            return reply;
        }

        reply["error"].Should().BeNull(reply.ToString());
        return reply["result"]!;
    }

    [Test]
    public async Task A_mapping_skipped_at_start_does_not_block_other_exports_and_is_mapped_once_its_volume_is_back()
    {
        await CallAsync("export_create", new { pool = "images", vol = "v1", initiator_wwn = A, lun = 1 });
        await _service.DisposeAsync();
        string image = Path.Combine(_folder.FullName, "v1.qcow2");
        File.Move(image, image + ".away");
        _port = new FakeIscsiTargetPort();
        await StartAsync();
        _port.Mapped.Should().BeEmpty("v1 cannot be opened (as when its pool is unavailable)");

        await CallAsync("export_create", new { pool = "images", vol = "v2", initiator_wwn = B, lun = 0 });
        _port.Mapped.Keys.Should().BeEquivalentTo([(B, 0)], "the skipped mapping does not fail other changes");

        File.Move(image + ".away", image);
        await CallAsync("export_create", new { pool = "images", vol = "v2", initiator_wwn = B, lun = 2 });
        _port.Mapped.Keys.Should().BeEquivalentTo([(A, 1), (B, 0), (B, 2)], "the next change maps it again");
    }

    [Test]
    public async Task Exports_map_volumes_to_initiators_idempotently_and_persist()
    {
        await CallAsync("export_create", new { pool = "images", vol = "v1", initiator_wwn = A, lun = 3 });
        await CallAsync("export_create", new { pool = "images", vol = "v1", initiator_wwn = A, lun = 3 });
        await CallAsync("export_create", new { pool = "images", vol = "v1", initiator_wwn = B, lun = 0 });
        var list = (JArray)await CallAsync("export_list");

        list.Should().HaveCount(2);
        var first = (JObject)list.First(e => (string?)e["initiator_wwn"] == A);
        first.Properties().Select(p => p.Name).Should().BeEquivalentTo("initiator_wwn", "lun", "vol_name", "pool", "vol_uuid", "vol_size");
        ((int)first["lun"]!).Should().Be(3);
        ((long)first["vol_size"]!).Should().Be(1 << 20);
        _port.Mapped.Keys.Should().BeEquivalentTo([(A, 3), (B, 0)]);
        _port.Mapped[(A, 3)].Should().BeSameAs(_port.Mapped[(B, 0)], "one volume is opened once");
        await CallAsync("vol_destroy", new { pool = "images", name = "v1" }, expectError: -303);
        await CallAsync("export_create", new { pool = "images", vol = "v2", initiator_wwn = A, lun = 3 }, expectError: -1);
        await CallAsync("export_create", new { pool = "images", vol = "nope", initiator_wwn = A, lun = 4 }, expectError: -103);
        await CallAsync("export_create", new { pool = "nope", vol = "v1", initiator_wwn = A, lun = 4 }, expectError: -110);
        await CallAsync("export_create", new { pool = "images", vol = "v1", initiator_wwn = "not-an-iqn", lun = 4 }, expectError: -1);

        // Restart: the same configuration is applied again.
        await _service.DisposeAsync();
        _port = new FakeIscsiTargetPort();
        await StartAsync();
        _port.Mapped.Keys.Should().BeEquivalentTo([(A, 3), (B, 0)]);
        ((JArray)await CallAsync("export_list")).Should().HaveCount(2);

        await CallAsync("export_destroy", new { pool = "images", vol = "v1", initiator_wwn = A });
        await CallAsync("export_destroy", new { pool = "images", vol = "v1", initiator_wwn = A }, expectError: -151);
        _port.Mapped.Keys.Should().BeEquivalentTo([(B, 0)]);
        _port.Initiators.Keys.Should().BeEquivalentTo([B]);
    }

    [TestCase("iqn.bad")]
    [TestCase("iqn.2024-1.org.example:x")]
    [TestCase("eui.0123")]
    [TestCase("naa.xyz")]
    public async Task A_name_the_target_would_refuse_is_refused_with_targetds_error_and_changes_nothing(string initiator)
    {
        var create = await CallAsync("export_create", new { pool = "images", vol = "v1", initiator_wwn = initiator, lun = 0 }, expectError: -1);
        var auth = await CallAsync("initiator_set_auth", new { initiator_wwn = initiator, in_user = "u", in_pass = "secretsecret", out_user = (string?)null, out_pass = (string?)null }, expectError: -1);

        ((string)create["error"]!["message"]!).Should().Be($"RTSLibError: Invalid initiator WWN '{initiator}'");
        ((string)auth["error"]!["message"]!).Should().Be($"RTSLibError: Invalid initiator WWN '{initiator}'");
        ((JArray)await CallAsync("export_list")).Should().BeEmpty();
    }

    [Test]
    public async Task Initiator_auth_is_set_cleared_and_listed()
    {
        await CallAsync("initiator_set_auth", new { initiator_wwn = A, in_user = "u", in_pass = "secretsecret", out_user = "t", out_pass = "othersecret1" });
        _port.Initiators[A].Should().Be(new Targetd.Core.Exports.InitiatorCredentials("u", "secretsecret", "t", "othersecret1"));
        await CallAsync("initiator_set_auth", new { initiator_wwn = A, in_user = (string?)null, in_pass = (string?)null, out_user = (string?)null, out_pass = (string?)null });
        _port.Initiators[A].Should().BeNull();
        await CallAsync("initiator_set_auth", new { initiator_wwn = A, in_user = "u" }, expectError: -32602);
        await CallAsync("access_group_create", new { ag_name = "g1", init_id = B, init_type = "iscsi" });

        ((JArray)await CallAsync("initiator_list")).Select(i => (string)i["init_id"]!).Should().BeEquivalentTo(A, B);
        ((JArray)await CallAsync("initiator_list", new { standalone_only = "False" })).Select(i => (string)i["init_id"]!).Should().Equal(A);
        ((JArray)await CallAsync("initiator_list", new { standalone_only = false })).Should().HaveCount(2);
    }

    [Test]
    public async Task Access_groups_share_mappings_and_pick_free_host_lun_ids()
    {
        await CallAsync("access_group_create", new { ag_name = "g1", init_id = A, init_type = "iscsi" });
        await CallAsync("access_group_init_add", new { ag_name = "g1", init_id = B, init_type = "iscsi" });
        await CallAsync("access_group_init_add", new { ag_name = "g1", init_id = B, init_type = "iscsi" });
        await CallAsync("access_group_map_create", new { pool_name = "images", vol_name = "v1", ag_name = "g1" });
        await CallAsync("access_group_map_create", new { pool_name = "images", vol_name = "v2", ag_name = "g1" });
        await CallAsync("access_group_map_create", new { pool_name = "images", vol_name = "v2", ag_name = "g1" });

        var groups = (JArray)await CallAsync("access_group_list");
        ((string?)groups.Single()["name"]).Should().Be("g1");
        groups.Single()["init_ids"]!.Values<string>().Should().BeEquivalentTo(A, B);
        ((JArray)await CallAsync("access_group_map_list")).Select(m => ((int)m["h_lun_id"]!, (string)m["vol_name"]!)).Should().Equal((0, "v1"), (1, "v2"));
        _port.Mapped.Keys.Should().BeEquivalentTo([(A, 0), (A, 1), (B, 0), (B, 1)]);

        await CallAsync("access_group_create", new { ag_name = "g1", init_id = "iqn.2024-01.org.example:c", init_type = "iscsi" }, expectError: -50);
        await CallAsync("access_group_create", new { ag_name = "g2", init_id = A, init_type = "iscsi" }, expectError: -52);
        await CallAsync("access_group_create", new { ag_name = "bad.name", init_id = "iqn.2024-01.org.example:c", init_type = "iscsi" }, expectError: -32602);
        await CallAsync("access_group_create", new { ag_name = "g3", init_id = "iqn.2024-01.org.example:c", init_type = "fc" }, expectError: -153);
        await CallAsync("access_group_init_add", new { ag_name = "g2", init_id = A, init_type = "iscsi" }, expectError: -52);
        await CallAsync("access_group_map_create", new { pool_name = "images", vol_name = "v1", ag_name = "empty" }, expectError: -200);
        await CallAsync("vol_create", new { pool = "images", name = "v3", size = 4096 });
        await CallAsync("access_group_map_create", new { pool_name = "images", vol_name = "v3", ag_name = "g1", h_lun_id = 300 }, expectError: -32602);
        await CallAsync("access_group_map_create", new { pool_name = "images", vol_name = "v3", ag_name = "g1", h_lun_id = 1 }, expectError: -1);

        await CallAsync("access_group_map_destroy", new { pool_name = "images", vol_name = "v1", ag_name = "g1" });
        await CallAsync("access_group_init_del", new { ag_name = "g1", init_id = A, init_type = "iscsi" });
        _port.Mapped.Keys.Should().BeEquivalentTo([(B, 1)]);
        await CallAsync("access_group_destroy", new { ag_name = "g1" });
        ((JArray)await CallAsync("access_group_list")).Should().BeEmpty();
        _port.Mapped.Should().BeEmpty();
        _port.Initiators.Should().BeEmpty();
    }

    [Test]
    public async Task A_group_with_every_host_lun_id_used_answers_minus_1000()
    {
        await CallAsync("access_group_create", new { ag_name = "g1", init_id = A, init_type = "iscsi" });
        for (int i = 0; i <= TargetdExports.MaxHostLunId; i++)
        {
            await CallAsync("vol_create", new { pool = "images", name = $"x{i}", size = 4096 });
            await CallAsync("access_group_map_create", new { pool_name = "images", vol_name = $"x{i}", ag_name = "g1" });
        }

        var full = await CallAsync("access_group_map_create", new { pool_name = "images", vol_name = "v1", ag_name = "g1" }, expectError: -1000);

        ((string?)full["error"]!["message"]).Should().Be("All host LUN ID 0 ~ 255 is in use");
    }

    [Test]
    public async Task An_exported_volume_grows_in_its_open_device_and_the_port_is_told()
    {
        await CallAsync("export_create", new { pool = "images", vol = "v1", initiator_wwn = A, lun = 0 });
        var device = _port.Mapped[(A, 0)];
        device.Should().BeOfType<Qcow2Image>();

        await CallAsync("vol_resize", new { pool = "images", name = "v1", size = 4 << 20 });

        device.Length.Should().Be(4 << 20, "the device that serves the volume grew");
        _port.Resized.Should().Equal(device);
        var volumes = (JArray)await CallAsync("vol_list", new { pool = "images" });
        ((long)volumes.Single(v => (string?)v["name"] == "v1")["size"]!).Should().Be(4 << 20);
    }

    [Test]
    public async Task A_smaller_size_for_an_exported_volume_is_refused_with_targetds_error_and_changes_nothing()
    {
        await CallAsync("export_create", new { pool = "images", vol = "v1", initiator_wwn = A, lun = 0 });

        await CallAsync("vol_resize", new { pool = "images", name = "v1", size = 1 << 19 }, expectError: -32602);

        _port.Mapped[(A, 0)].Length.Should().Be(1 << 20);
        _port.Resized.Should().BeEmpty();
    }

    [Test]
    public async Task A_volume_that_is_not_exported_is_grown_by_its_pool()
    {
        await CallAsync("vol_resize", new { pool = "images", name = "v2", size = 2 << 20 });

        _port.Resized.Should().BeEmpty();
        await using var image = await Qcow2Image.OpenAsync(Path.Combine(_folder.FullName, "v2.qcow2"), new Qcow2OpenOptions { ReadOnly = true });
        image.Length.Should().Be(2 << 20);
    }
}
