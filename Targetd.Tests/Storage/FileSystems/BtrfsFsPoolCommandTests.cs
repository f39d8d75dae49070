using Newtonsoft.Json.Linq;
using Targetd.Core.Processes;
using Targetd.Storage.Errors;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Pools.FileSystems;
using Targetd.Storage.Targetd;

namespace Targetd.Tests.Storage.FileSystems;

/// <summary>The btrfs command lines of the btrfs pool, recorded against a folder standing in for the mount.</summary>
public sealed class BtrfsFsPoolCommandTests
{
    private DirectoryInfo _folder = null!;
    private RecordingProcessRunner _runner = null!;
    private BtrfsFsPool _pool = null!;
    private string _root = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = Directory.CreateTempSubdirectory("targetd-btrfs-cmd-");
        _root = _folder.FullName;
        _runner = new RecordingProcessRunner()
            .When(c => c.Arguments is ["subvolume", "create", _], c => Created(c.Arguments[2]))
            .When(c => c.Arguments is ["subvolume", "snapshot", ..], c => Created(c.Arguments[^1]))
            .When(c => c.Arguments is ["subvolume", "delete", _], c =>
            {
                Directory.Delete(c.Arguments[2], recursive: true);
                return ProcessResult.Success();
            })
            .When(c => c.Arguments is ["qgroup", "show", _], new ProcessResult(1, string.Empty, "ERROR: can't list qgroups: quotas not enabled"));
        _pool = new BtrfsFsPool(_root, _runner);
    }

    [TearDown]
    public void TearDown() => _folder.Delete(recursive: true);

    private static ProcessResult Created(string path)
    {
        Directory.CreateDirectory(path);
        return ProcessResult.Success();
    }

    private void Lists(string path, string output) =>
        _runner.When(c => c.Arguments is ["subvolume", "list", "-o", "-u", ..] && c.Arguments[^1] == path, ProcessResult.Success(output));

    [Test]
    public async Task Initialize_creates_the_two_subvolumes_only_when_missing()
    {
        await _pool.InitializeAsync();
        await _pool.InitializeAsync();

        _runner.CommandLines.Should().Equal($"btrfs subvolume create {_root}/targetd_fs", $"btrfs subvolume create {_root}/targetd_ss");
        _runner.Invocations.Should().OnlyContain(c => c.Timeout != null, "every command is bounded");
    }

    [Test]
    public async Task Size_bytes_sets_a_qgroup_limit_only_where_quotas_are_enabled()
    {
        await _pool.InitializeAsync();
        await _pool.CreateAsync("plain", 0);
        await _pool.CreateAsync("noquota", 1 << 20);
        _runner.When(c => c.Arguments is ["qgroup", "show", _], ProcessResult.Success());
        await _pool.CreateAsync("limited", 1 << 20);

        _runner.CommandLines.Skip(2).Should().Equal(
            $"btrfs subvolume create {_root}/targetd_fs/plain",
            $"btrfs qgroup show {_root}",
            $"btrfs subvolume create {_root}/targetd_fs/noquota",
            $"btrfs qgroup show {_root}",
            $"btrfs subvolume create {_root}/targetd_fs/limited",
            $"btrfs qgroup limit 1048576 {_root}/targetd_fs/limited");
    }

    [Test]
    public async Task A_failed_qgroup_limit_removes_the_new_subvolume()
    {
        await _pool.InitializeAsync();
        _runner.When(c => c.Arguments is ["qgroup", "show", _], ProcessResult.Success())
            .When(c => c.Arguments is ["qgroup", "limit", ..], new ProcessResult(1, string.Empty, "ERROR: unable to limit requested quota group"));

        var act = () => _pool.CreateAsync("fs1", 1 << 20);

        (await act.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.CommandFailed);
        _runner.CommandLines[^1].Should().Be($"btrfs subvolume delete {_root}/targetd_fs/fs1");
        Directory.Exists(Path.Combine(_root, "targetd_fs", "fs1")).Should().BeFalse();
    }

    [Test]
    public async Task Listings_keep_direct_children_with_valid_names_only()
    {
        await _pool.InitializeAsync();
        Directory.CreateDirectory(Path.Combine(_root, "targetd_fs", "fs1"));
        Directory.CreateDirectory(Path.Combine(_root, "targetd_ss", "fs1"));
        Lists($"{_root}/targetd_fs", """
            ID 259 gen 8 top level 257 uuid 8d91fcf9-e60a-1342-9d9d-b649690b0809 path targetd_fs/fs1
            ID 262 gen 9 top level 257 uuid 88111492-d49f-bb44-bcba-90fc20e270e0 path <FS_TREE>/targetd_fs/clone-1
            ID 263 gen 9 top level 259 uuid 11111111-d49f-bb44-bcba-90fc20e270e0 path targetd_fs/fs1/nested/inner
            ID 264 gen 9 top level 257 uuid 22222222-d49f-bb44-bcba-90fc20e270e0 path targetd_fs/bad name
            """);
        Lists($"{_root}/targetd_ss/fs1", """
            ID 261 gen 9 cgen 8 top level 260 otime 2026-11-23 22:57:39 uuid c3d9ac23-137e-5b4d-85a2-e48a415e9b90 path targetd_ss/fs1/s1
            ID 265 gen 9 cgen 8 top level 258 otime 2026-11-23 22:57:40 uuid 33333333-137e-5b4d-85a2-e48a415e9b90 path targetd_ss/fs2/s1
            """);

        var listed = await _pool.ListAsync();
        var snapshots = await _pool.ListSnapshotsAsync("fs1");

        listed.Select(f => (f.Name, f.Uuid, f.FullPath)).Should().Equal(
            ("clone-1", "88111492-d49f-bb44-bcba-90fc20e270e0", $"{_root}/targetd_fs/clone-1"),
            ("fs1", "8d91fcf9-e60a-1342-9d9d-b649690b0809", $"{_root}/targetd_fs/fs1"));
        listed.Should().OnlyContain(f => f.Pool == _root);
        snapshots.Should().Equal(new SnapshotEntry("s1", "c3d9ac23-137e-5b4d-85a2-e48a415e9b90",
            new DateTimeOffset(new DateTime(2026, 11, 23, 22, 57, 39, DateTimeKind.Local)).ToUnixTimeSeconds()));
        _runner.CommandLines.Should().Contain($"btrfs subvolume list -o -u -s {_root}/targetd_ss/fs1");
    }

    [Test]
    public async Task Snapshot_clone_and_destroy_run_targetd_s_commands_in_order()
    {
        await _pool.InitializeAsync();
        await _pool.CreateAsync("fs1", 0);
        await _pool.SnapshotAsync("fs1", "s1");
        await _pool.CloneAsync("fs1", "s1", "c1");
        await _pool.CloneAsync("fs1", null, "c2");
        Lists($"{_root}/targetd_ss/fs1", "ID 261 gen 9 cgen 8 top level 260 otime 2026-11-23 22:57:39 uuid u-s1 path targetd_ss/fs1/s1\n");
        await _pool.DestroyAsync("fs1");

        _runner.CommandLines.Skip(3).Where(l => !l.Contains(" list ", StringComparison.Ordinal)).Should().Equal(
            $"btrfs subvolume create {_root}/targetd_ss/fs1",
            $"btrfs subvolume snapshot -r {_root}/targetd_fs/fs1 {_root}/targetd_ss/fs1/s1",
            $"btrfs subvolume snapshot {_root}/targetd_ss/fs1/s1 {_root}/targetd_fs/c1",
            $"btrfs subvolume snapshot {_root}/targetd_fs/fs1 {_root}/targetd_fs/c2",
            $"btrfs subvolume delete {_root}/targetd_ss/fs1/s1",
            $"btrfs subvolume delete {_root}/targetd_ss/fs1",
            $"btrfs subvolume delete {_root}/targetd_fs/fs1");
    }

    [Test]
    public async Task A_failed_first_snapshot_removes_the_snapshot_folder_it_made()
    {
        await _pool.InitializeAsync();
        await _pool.CreateAsync("fs1", 0);
        _runner.When(c => c.Arguments is ["subvolume", "snapshot", ..], new ProcessResult(1, string.Empty, "ERROR: cannot snapshot"));

        var act = () => _pool.SnapshotAsync("fs1", "s1");

        (await act.Should().ThrowAsync<StorageException>()).Which.Message.Should().Contain("cannot snapshot");
        _runner.CommandLines[^1].Should().Be($"btrfs subvolume delete {_root}/targetd_ss/fs1");
        Directory.Exists(Path.Combine(_root, "targetd_ss", "fs1")).Should().BeFalse();
    }

    [Test]
    public async Task A_failing_btrfs_command_is_minus_303_naming_the_command()
    {
        await _pool.InitializeAsync();
        _runner.When(c => c.Arguments is ["subvolume", "create", _], new ProcessResult(1, string.Empty, "ERROR: cannot create subvolume: No space left on device"));
        using var rpc = new JsonRpcProcessor(new TargetdFsMethods([_pool]).Methods());

        var reply = JObject.Parse(await rpc.ProcessAsync(
            new JObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "fs_create", ["params"] = new JObject { ["pool_name"] = _root, ["name"] = "fs1", ["size_bytes"] = 0 } }.ToString()));

        ((int?)reply["error"]?["code"]).Should().Be(-303, reply.ToString());
        ((string?)reply["error"]?["message"]).Should().StartWith("Unexpected exit code \"['btrfs', 'subvolume', 'create', ").And.Contain("No space left on device");
    }
}
