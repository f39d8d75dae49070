using Targetd.Core.Processes;
using Targetd.Storage.Pools.FileSystems;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage.FileSystems;

/// <summary>The fs methods over a btrfs pool on a real, loop-mounted btrfs file system.</summary>
[Category("Interop")]
[NonParallelizable]
[CancelAfter(300_000)]
public sealed class BtrfsFsPoolInteropTests : FsPoolContractTests
{
    private LoopBtrfs? _btrfs;

    protected override async Task<IFsPool> CreatePoolAsync()
    {
        _btrfs = await LoopBtrfs.CreateAsync();
        return new BtrfsFsPool(_btrfs.MountPoint, new ProcessRunner());
    }

    protected override async Task RemovePoolAsync()
    {
        if (_btrfs is not null)
        {
            await _btrfs.DisposeAsync();
            _btrfs = null;
        }
    }

    [Test]
    public async Task Uuids_are_the_subvolume_uuids_and_snapshots_are_read_only()
    {
        await OkAsync("fs_create", new { pool_name = Pool.Name, name = "fs1", size_bytes = 0 });
        string uuid = await UuidOfAsync("fs1");
        await OkAsync("fs_snapshot", new { fs_uuid = uuid, dest_ss_name = "s1" });
        string snapshot = Path.Combine(Pool.Name, "targetd_ss", "fs1", "s1");

        string shown = await ExternalTool.RunOkAsync("btrfs", "subvolume", "show", PathOf("fs1"));
        string shownSnapshot = await ExternalTool.RunOkAsync("btrfs", "subvolume", "show", snapshot);
        var write = () => File.WriteAllTextAsync(Path.Combine(snapshot, "x"), "x");

        shown.Should().MatchRegex($@"UUID:\s+{uuid}\b");
        shownSnapshot.Should().MatchRegex($@"\bUUID:\s+{(string)(await SnapshotsAsync(uuid))[0]["uuid"]!}\b");
        shownSnapshot.Should().MatchRegex(@"Flags:\s+readonly");
        await write.Should().ThrowAsync<IOException>("a snapshot is a read-only subvolume");
    }

    [Test]
    public async Task Size_bytes_becomes_a_qgroup_limit_where_quotas_are_enabled()
    {
        await OkAsync("fs_create", new { pool_name = Pool.Name, name = "unlimited", size_bytes = 8 << 20 });
        await ExternalTool.RunOkAsync("btrfs", "quota", "enable", Pool.Name);
        await OkAsync("fs_create", new { pool_name = Pool.Name, name = "limited", size_bytes = 8 << 20 });

        string qgroups = await ExternalTool.RunOkAsync("btrfs", "qgroup", "show", "-r", "--raw", Pool.Name);

        qgroups.Should().MatchRegex(@"\b8388608\s+targetd_fs/limited\b");
        qgroups.Should().MatchRegex(@"\bnone\s+targetd_fs/unlimited\b", "without quotas at creation no limit is set");
        var fill = async () =>
        {
            await using var file = new FileStream(Path.Combine(PathOf("limited"), "big"), FileMode.CreateNew);
            var block = new byte[1 << 20];
            for (int i = 0; i < 16; i++)
            {
                await file.WriteAsync(block);
                await file.FlushAsync();
                file.Flush(flushToDisk: true);
            }
        };
        await fill.Should().ThrowAsync<IOException>("the limit is enforced");
    }

    [Test]
    public async Task Destroy_refuses_a_file_system_holding_another_subvolume_before_deleting_anything()
    {
        await OkAsync("fs_create", new { pool_name = Pool.Name, name = "fs1", size_bytes = 0 });
        string uuid = await UuidOfAsync("fs1");
        await OkAsync("fs_snapshot", new { fs_uuid = uuid, dest_ss_name = "s1" });
        await ExternalTool.RunOkAsync("btrfs", "subvolume", "create", Path.Combine(PathOf("fs1"), "inner"));

        var reply = await CallAsync("fs_destroy", new { uuid });

        ((int?)reply["error"]?["code"]).Should().Be(-1, reply.ToString());
        ((string?)reply["error"]?["message"]).Should().Contain("inner");
        (await SnapshotsAsync(uuid)).Select(s => (string?)s["name"]).Should().Equal("s1");
        await ExternalTool.RunOkAsync("btrfs", "subvolume", "delete", Path.Combine(PathOf("fs1"), "inner"));
        await OkAsync("fs_destroy", new { uuid });
        (await FileSystemsAsync()).Should().BeEmpty();
    }
}
