using Newtonsoft.Json.Linq;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Pools.FileSystems;
using Targetd.Storage.Targetd;

namespace Targetd.Tests.Storage.FileSystems;

/// <summary>
/// The fs methods of the targetd API over one kind of fs pool, through the JSON-RPC processor: the same
/// behaviour is asked of btrfs pools and folder pools.
/// </summary>
public abstract class FsPoolContractTests
{
    private JsonRpcProcessor _rpc = null!;
    private int _id;

    protected IFsPool Pool { get; private set; } = null!;

    /// <summary>Makes a new, empty pool.</summary>
    protected abstract Task<IFsPool> CreatePoolAsync();

    /// <summary>Removes what <see cref="CreatePoolAsync"/> made.</summary>
    protected abstract Task RemovePoolAsync();

    [SetUp]
    public async Task SetUpAsync()
    {
        Pool = await CreatePoolAsync();
        await Pool.InitializeAsync();
        var fs = new TargetdFsMethods([Pool]);
        _rpc = new JsonRpcProcessor(fs.Methods().Concat(new TargetdBlockMethods([], null, fs).Methods()));
    }

    [TearDown]
    public async Task TearDownAsync()
    {
        _rpc?.Dispose();
        await RemovePoolAsync();
    }

    protected async Task<JObject> CallAsync(string method, object? parameters = null)
    {
        var request = new JObject { ["jsonrpc"] = "2.0", ["id"] = ++_id, ["method"] = method };
        if (parameters is not null)
        {
            request["params"] = JObject.FromObject(parameters);
        }

        return JObject.Parse(await _rpc.ProcessAsync(request.ToString()));
    }

    protected async Task<JToken> OkAsync(string method, object? parameters = null)
    {
        var reply = await CallAsync(method, parameters);
        reply["error"].Should().BeNull(reply.ToString());
        return reply["result"]!;
    }

    protected async Task FailsAsync(int code, string method, object? parameters = null)
    {
        var reply = await CallAsync(method, parameters);
        ((int?)reply["error"]?["code"]).Should().Be(code, reply.ToString());
    }

    protected async Task<List<JObject>> FileSystemsAsync() => [.. ((JArray)await OkAsync("fs_list")).Cast<JObject>()];

    protected async Task<string> UuidOfAsync(string name) => (string)(await FileSystemsAsync()).Single(f => (string?)f["name"] == name)["uuid"]!;

    protected async Task<List<JObject>> SnapshotsAsync(string fsUuid) => [.. ((JArray)await OkAsync("ss_list", new { fs_uuid = fsUuid })).Cast<JObject>()];

    protected string PathOf(string name) => Path.Combine(Pool.Name, "targetd_fs", name);

    [Test]
    public async Task Created_file_systems_are_listed_with_targetd_fields()
    {
        (await OkAsync("fs_create", new { pool_name = Pool.Name, name = "fs1", size_bytes = 0 })).Type.Should().Be(JTokenType.Null);
        await OkAsync("fs_create", new { pool_name = Pool.Name, name = "fs2", size_bytes = 0 });

        var listed = await FileSystemsAsync();
        var pools = ((JArray)await OkAsync("pool_list")).Cast<JObject>().ToList();

        listed.Select(f => (string?)f["name"]).Should().BeEquivalentTo("fs1", "fs2");
        foreach (var fs in listed)
        {
            fs.Properties().Select(p => p.Name).Should().BeEquivalentTo("name", "uuid", "total_space", "free_space", "pool", "full_path");
            ((string?)fs["pool"]).Should().Be(Pool.Name);
            ((string?)fs["full_path"]).Should().Be(PathOf((string)fs["name"]!));
            Directory.Exists((string)fs["full_path"]!).Should().BeTrue();
            ((long)fs["total_space"]!).Should().BeGreaterThanOrEqualTo((long)fs["free_space"]!).And.BeGreaterThan(0);
        }

        listed.Select(f => (string?)f["uuid"]).Should().OnlyHaveUniqueItems().And.NotContain(u => string.IsNullOrEmpty(u));
        (await UuidOfAsync("fs1")).Should().Be((string?)listed.Single(f => (string?)f["name"] == "fs1")["uuid"], "uuids are stable");
        var pool = pools.Single(p => (string?)p["name"] == Pool.Name);
        ((string?)pool["type"]).Should().Be("fs");
        pool.ContainsKey("uuid").Should().BeFalse("targetd reports fs pools without uuid");
        ((long)pool["size"]!).Should().BeGreaterThanOrEqualTo((long)pool["free_size"]!);
    }

    [Test]
    public async Task A_snapshot_keeps_the_content_of_its_moment_and_ss_list_shows_only_its_file_system()
    {
        await OkAsync("fs_create", new { pool_name = Pool.Name, name = "fs1", size_bytes = 0 });
        await OkAsync("fs_create", new { pool_name = Pool.Name, name = "fs2", size_bytes = 0 });
        string fs1 = await UuidOfAsync("fs1");
        string fs2 = await UuidOfAsync("fs2");
        await File.WriteAllTextAsync(Path.Combine(PathOf("fs1"), "a.txt"), "one");
        long before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        (await OkAsync("fs_snapshot", new { fs_uuid = fs1, dest_ss_name = "s1" })).Type.Should().Be(JTokenType.Null);
        await File.WriteAllTextAsync(Path.Combine(PathOf("fs1"), "a.txt"), "two");
        await OkAsync("fs_snapshot", new { fs_uuid = fs2, dest_ss_name = "s1" });
        await OkAsync("fs_clone", new { fs_uuid = fs2, dest_fs_name = "c2", snapshot_id = (string?)null });
        long after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var snapshots = await SnapshotsAsync(fs1);
        snapshots.Should().ContainSingle();
        ((string?)snapshots[0]["name"]).Should().Be("s1");
        ((long)snapshots[0]["timestamp"]!).Should().BeInRange(before - 2, after + 2);
        snapshots[0]["timestamp"]!.Type.Should().Be(JTokenType.Integer);
        string s1 = (string)snapshots[0]["uuid"]!;
        s1.Should().NotBe(fs1).And.NotBe(fs2);
        var other = await SnapshotsAsync(fs2);
        other.Select(s => (string?)s["name"]).Should().Equal("s1");
        ((string?)other[0]["uuid"]).Should().NotBe(s1, "each snapshot has its own uuid");
        (await File.ReadAllTextAsync(Path.Combine(Pool.Name, "targetd_ss", "fs1", "s1", "a.txt"))).Should().Be("one");
        await FailsAsync(-53, "fs_snapshot", new { fs_uuid = fs1, dest_ss_name = "s1" });
        (await SnapshotsAsync(fs1)).Select(s => (string?)s["uuid"]).Should().Equal(s1);
    }

    [Test]
    public async Task Clones_come_from_a_snapshot_or_from_the_live_file_system()
    {
        await OkAsync("fs_create", new { pool_name = Pool.Name, name = "fs1", size_bytes = 0 });
        string fs1 = await UuidOfAsync("fs1");
        await File.WriteAllTextAsync(Path.Combine(PathOf("fs1"), "a.txt"), "one");
        await OkAsync("fs_snapshot", new { fs_uuid = fs1, dest_ss_name = "s1" });
        await File.WriteAllTextAsync(Path.Combine(PathOf("fs1"), "a.txt"), "two");
        string s1 = (string)(await SnapshotsAsync(fs1))[0]["uuid"]!;

        (await OkAsync("fs_clone", new { fs_uuid = fs1, dest_fs_name = "from_ss", snapshot_id = s1 })).Type.Should().Be(JTokenType.Null);
        await OkAsync("fs_clone", new { fs_uuid = fs1, dest_fs_name = "from_live", snapshot_id = (string?)null });
        await OkAsync("fs_clone", new { fs_uuid = fs1, dest_fs_name = "from_empty_id", snapshot_id = "" });
        await File.WriteAllTextAsync(Path.Combine(PathOf("from_ss"), "a.txt"), "changed");

        (await FileSystemsAsync()).Select(f => (string?)f["name"]).Should().BeEquivalentTo("fs1", "from_ss", "from_live", "from_empty_id");
        (await File.ReadAllTextAsync(Path.Combine(PathOf("from_live"), "a.txt"))).Should().Be("two");
        (await File.ReadAllTextAsync(Path.Combine(PathOf("from_empty_id"), "a.txt"))).Should().Be("two");
        (await File.ReadAllTextAsync(Path.Combine(Pool.Name, "targetd_ss", "fs1", "s1", "a.txt"))).Should().Be("one", "a clone is a copy, not the snapshot");
        (await SnapshotsAsync(await UuidOfAsync("from_ss"))).Should().BeEmpty("a clone has no snapshots of its own");
        await FailsAsync(-51, "fs_clone", new { fs_uuid = fs1, dest_fs_name = "from_live", snapshot_id = (string?)null });
        (await File.ReadAllTextAsync(Path.Combine(PathOf("from_live"), "a.txt"))).Should().Be("two");
        await FailsAsync(-112, "fs_clone", new { fs_uuid = fs1, dest_fs_name = "x", snapshot_id = "no-such-snapshot" });
        await FailsAsync(-104, "fs_clone", new { fs_uuid = "no-such-fs", dest_fs_name = "x", snapshot_id = (string?)null });
        await FailsAsync(-32602, "fs_clone", new { fs_uuid = fs1, dest_fs_name = "../x", snapshot_id = (string?)null });
        await FailsAsync(-32602, "fs_clone", new { fs_uuid = fs1, dest_fs_name = "x" });
        (await FileSystemsAsync()).Should().HaveCount(4, "failed clones leave nothing behind");
    }

    [Test]
    public async Task Destroy_removes_the_snapshots_first_and_leaves_clones_alone()
    {
        await OkAsync("fs_create", new { pool_name = Pool.Name, name = "fs1", size_bytes = 0 });
        await OkAsync("fs_create", new { pool_name = Pool.Name, name = "keep", size_bytes = 0 });
        string fs1 = await UuidOfAsync("fs1");
        string keep = await UuidOfAsync("keep");
        await File.WriteAllTextAsync(Path.Combine(PathOf("fs1"), "a.txt"), "one");
        await OkAsync("fs_snapshot", new { fs_uuid = fs1, dest_ss_name = "s1" });
        await OkAsync("fs_snapshot", new { fs_uuid = fs1, dest_ss_name = "s2" });
        await OkAsync("fs_snapshot", new { fs_uuid = keep, dest_ss_name = "k1" });
        string s1 = (string)(await SnapshotsAsync(fs1)).Single(s => (string?)s["name"] == "s1")["uuid"]!;
        await OkAsync("fs_clone", new { fs_uuid = fs1, dest_fs_name = "clone_ss", snapshot_id = s1 });
        await OkAsync("fs_clone", new { fs_uuid = fs1, dest_fs_name = "clone_live", snapshot_id = (string?)null });
        string clone = await UuidOfAsync("clone_ss");
        await OkAsync("fs_snapshot", new { fs_uuid = clone, dest_ss_name = "c1" });

        (await OkAsync("fs_destroy", new { uuid = fs1 })).Type.Should().Be(JTokenType.Null);

        (await FileSystemsAsync()).Select(f => (string?)f["name"]).Should().BeEquivalentTo("keep", "clone_ss", "clone_live");
        Directory.Exists(PathOf("fs1")).Should().BeFalse();
        Directory.Exists(Path.Combine(Pool.Name, "targetd_ss", "fs1")).Should().BeFalse();
        (await File.ReadAllTextAsync(Path.Combine(PathOf("clone_ss"), "a.txt"))).Should().Be("one");
        (await SnapshotsAsync(clone)).Select(s => (string?)s["name"]).Should().Equal("c1");
        (await SnapshotsAsync(keep)).Select(s => (string?)s["name"]).Should().Equal("k1");
        await FailsAsync(-104, "fs_destroy", new { uuid = fs1 });
        await OkAsync("fs_destroy", new { uuid = clone });
        (await FileSystemsAsync()).Select(f => (string?)f["name"]).Should().BeEquivalentTo("keep", "clone_live");
    }

    [Test]
    public async Task A_snapshot_is_deleted_by_its_uuid()
    {
        await OkAsync("fs_create", new { pool_name = Pool.Name, name = "fs1", size_bytes = 0 });
        string fs1 = await UuidOfAsync("fs1");
        await OkAsync("fs_snapshot", new { fs_uuid = fs1, dest_ss_name = "s1" });
        await OkAsync("fs_snapshot", new { fs_uuid = fs1, dest_ss_name = "s2" });
        var snapshots = await SnapshotsAsync(fs1);
        string s1 = (string)snapshots.Single(s => (string?)s["name"] == "s1")["uuid"]!;

        await FailsAsync(-112, "fs_snapshot_delete", new { fs_uuid = fs1, ss_uuid = "no-such-snapshot" });
        await FailsAsync(-104, "fs_snapshot_delete", new { fs_uuid = "no-such-fs", ss_uuid = s1 });
        (await OkAsync("fs_snapshot_delete", new { fs_uuid = fs1, ss_uuid = s1 })).Type.Should().Be(JTokenType.Null);

        (await SnapshotsAsync(fs1)).Select(s => (string?)s["name"]).Should().Equal("s2");
        Directory.Exists(Path.Combine(Pool.Name, "targetd_ss", "fs1", "s1")).Should().BeFalse();
        await FailsAsync(-112, "fs_snapshot_delete", new { fs_uuid = fs1, ss_uuid = s1 });
    }

    [Test]
    public async Task Bad_requests_get_targetd_error_codes_and_change_nothing()
    {
        await OkAsync("fs_create", new { pool_name = Pool.Name, name = "fs1", size_bytes = 0 });
        await File.WriteAllTextAsync(Path.Combine(PathOf("fs1"), "a.txt"), "kept");
        string fs1 = await UuidOfAsync("fs1");

        await FailsAsync(-110, "fs_create", new { pool_name = "/no/such/pool", name = "x", size_bytes = 0 });
        await FailsAsync(-53, "fs_create", new { pool_name = Pool.Name, name = "fs1", size_bytes = 0 });
        await FailsAsync(-32602, "fs_create", new { pool_name = Pool.Name, name = "../escape", size_bytes = 0 });
        await FailsAsync(-32602, "fs_create", new { pool_name = Pool.Name, name = "a/b", size_bytes = 0 });
        await FailsAsync(-32602, "fs_create", new { pool_name = Pool.Name, name = "", size_bytes = 0 });
        await FailsAsync(-32602, "fs_create", new { pool_name = Pool.Name, name = "x", size_bytes = -1 });
        await FailsAsync(-32602, "fs_create", new { pool_name = Pool.Name, name = "x" });
        await FailsAsync(-32602, "fs_create", new { pool_name = Pool.Name, name = "x", size_bytes = 0, extra = 1 });
        await FailsAsync(-104, "fs_destroy", new { uuid = "no-such-fs" });
        await FailsAsync(-104, "ss_list", new { fs_uuid = "no-such-fs" });
        await FailsAsync(-104, "fs_snapshot", new { fs_uuid = "no-such-fs", dest_ss_name = "s" });
        await FailsAsync(-32602, "fs_snapshot", new { fs_uuid = fs1, dest_ss_name = "../s" });
        await FailsAsync(-32602, "fs_destroy", new { fs_uuid = fs1 });

        (await FileSystemsAsync()).Select(f => (string?)f["name"]).Should().Equal("fs1");
        (await File.ReadAllTextAsync(Path.Combine(PathOf("fs1"), "a.txt"))).Should().Be("kept");
        (await SnapshotsAsync(fs1)).Should().BeEmpty();
        Directory.EnumerateFileSystemEntries(Pool.Name).Select(Path.GetFileName).Where(n => !n!.StartsWith('.'))
            .Should().BeEquivalentTo(["targetd_fs", "targetd_ss"], "nothing escapes the pool's layout");
    }
}
