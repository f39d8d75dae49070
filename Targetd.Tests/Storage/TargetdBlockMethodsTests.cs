using Newtonsoft.Json.Linq;
using Targetd.Qcow2;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Pools.Images;
using Targetd.Storage.Targetd;

namespace Targetd.Tests.Storage;

/// <summary>pool_list and vol_* over a real image-directory pool, through the JSON-RPC processor.</summary>
public sealed class TargetdBlockMethodsTests
{
    private DirectoryInfo _folder = null!;
    private ImageDirectoryPool _pool = null!;
    private JsonRpcProcessor _rpc = null!;
    private readonly HashSet<string> _exported = [];
    private int _id;

    [SetUp]
    public void SetUp()
    {
        _folder = Directory.CreateTempSubdirectory("targetd-rpc-");
        _pool = new ImageDirectoryPool("images", _folder.FullName);
        _rpc = new JsonRpcProcessor(new TargetdBlockMethods([_pool], (_, name) => _exported.Contains(name)).Methods());
    }

    [TearDown]
    public void TearDown()
    {
        _rpc.Dispose();
        _pool.Dispose();
        _folder.Delete(recursive: true);
    }

    private async Task<JObject> CallAsync(string method, object? parameters = null)
    {
        var request = new JObject { ["jsonrpc"] = "2.0", ["id"] = ++_id, ["method"] = method };
        if (parameters is not null)
        {
            request["params"] = JObject.FromObject(parameters);
        }

        return JObject.Parse(await _rpc.ProcessAsync(request.ToString()));
    }

    private static void ShouldFail(JObject reply, int code) => ((int?)reply["error"]?["code"]).Should().Be(code, reply.ToString());

    [Test]
    public async Task Volumes_are_created_listed_copied_resized_and_destroyed()
    {
        (await CallAsync("vol_create", new { pool = "images", name = "v1", size = 10_000_000 }))["result"]!.Type.Should().Be(JTokenType.Null);
        await using (var image = await Qcow2Image.OpenAsync(Path.Combine(_folder.FullName, "v1.qcow2")))
        {
            await image.WriteAsync(4096, new byte[] { 1, 2, 3 });
        }

        var listed = (JArray)(await CallAsync("vol_list", new { pool = "images" }))["result"]!;
        var copy = await CallAsync("vol_copy", new { pool = "images", vol_orig = "v1", vol_new = "v2", size = 20_000_000 });
        var resize = await CallAsync("vol_resize", new { pool = "images", name = "v1", size = 30_000_000 });
        var afterwards = (JArray)(await CallAsync("vol_list", new { pool = "images" }))["result"]!;
        var pools = (JArray)(await CallAsync("pool_list"))["result"]!;

        listed.Should().ContainSingle();
        ((string?)listed[0]["name"]).Should().Be("v1");
        ((long)listed[0]["size"]!).Should().Be(10_000_384, "sizes round up to whole sectors");
        ((string?)listed[0]["uuid"]).Should().NotBeNullOrEmpty();
        copy["result"]!.Type.Should().Be(JTokenType.Null, copy.ToString());
        resize["result"]!.Type.Should().Be(JTokenType.Null, resize.ToString());
        afterwards.Select(v => ((string)v["name"]!, (long)v["size"]!)).Should().Equal(("v1", 30_000_128L), ("v2", 20_000_256L));
        ((string?)afterwards[0]["uuid"]).Should().Be((string?)listed[0]["uuid"], "uuids are stable");
        await using (var copied = await Qcow2Image.OpenAsync(Path.Combine(_folder.FullName, "v2.qcow2"), new Qcow2OpenOptions { ReadOnly = true }))
        {
            var back = new byte[3];
            await copied.ReadAsync(4096, back);
            back.Should().Equal(1, 2, 3);
        }

        pools.Should().ContainSingle();
        pools[0].Value<string>("type").Should().Be("block");
        pools[0].Value<long>("size").Should().BeGreaterThan(pools[0].Value<long>("free_size"));
        (await CallAsync("vol_destroy", new { pool = "images", name = "v2" }))["result"]!.Type.Should().Be(JTokenType.Null);
        File.Exists(Path.Combine(_folder.FullName, "v2.qcow2")).Should().BeFalse();
    }

    [Test]
    public async Task Each_refusal_has_targetds_code_and_changes_nothing()
    {
        await CallAsync("vol_create", new { pool = "images", name = "v1", size = 1_000_000 });

        ShouldFail(await CallAsync("vol_create", new { pool = "images", name = "v1", size = 1_000_000 }), -50);
        ShouldFail(await CallAsync("vol_create", new { pool = "nope", name = "v9", size = 1_000_000 }), -110);
        ShouldFail(await CallAsync("vol_create", new { pool = "images", name = "bad name", size = 1_000_000 }), -32602);
        ShouldFail(await CallAsync("vol_destroy", new { pool = "images", name = "missing" }), -103);
        ShouldFail(await CallAsync("vol_copy", new { pool = "images", vol_orig = "missing", vol_new = "x" }), -103);
        ShouldFail(await CallAsync("vol_copy", new { pool = "images", vol_orig = "v1", vol_new = "v1" }), -50);
        ShouldFail(await CallAsync("vol_copy", new { pool = "images", vol_orig = "v1", vol_new = "v3", size = 1000 }), -32602);
        ShouldFail(await CallAsync("vol_resize", new { pool = "images", name = "v1", size = 1_000_000 }), -32602);
        ShouldFail(await CallAsync("vol_resize", new { pool = "images", name = "missing", size = 9_000_000 }), -103);
        _exported.Add("v1");
        ShouldFail(await CallAsync("vol_destroy", new { pool = "images", name = "v1" }), -303);

        var volumes = (JArray)(await CallAsync("vol_list", new { pool = "images" }))["result"]!;
        volumes.Select(v => (string)v["name"]!).Should().Equal("v1");
        ((long)volumes[0]["size"]!).Should().Be(1_000_448);
    }

    [Test]
    public async Task A_volume_open_elsewhere_is_not_destroyed_until_it_is_closed()
    {
        await CallAsync("vol_create", new { pool = "images", name = "busy", size = 1_000_000 });
        string path = Path.Combine(_folder.FullName, "busy.qcow2");

        await using (var writer = await Qcow2Image.OpenAsync(path))
        {
            var refused = await CallAsync("vol_destroy", new { pool = "images", name = "busy" });

            ShouldFail(refused, -303);
            ((string)refused["error"]!["message"]!).Should().Be("Volume 'busy' in pool images is in use");
            File.Exists(path).Should().BeTrue();
            await writer.WriteAsync(0, new byte[] { 7 });
        }

        await using (var reader = await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { ReadOnly = true }))
        {
            ShouldFail(await CallAsync("vol_destroy", new { pool = "images", name = "busy" }), -303);
        }

        (await CallAsync("vol_destroy", new { pool = "images", name = "busy" }))["error"].Should().BeNull();
        File.Exists(path).Should().BeFalse();
        ((JArray)(await CallAsync("vol_list", new { pool = "images" }))["result"]!).Should().BeEmpty();
    }
}
