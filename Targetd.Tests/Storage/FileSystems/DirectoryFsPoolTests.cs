using Targetd.Core.Processes;
using Targetd.Storage.Errors;
using Targetd.Storage.Pools.FileSystems;

namespace Targetd.Tests.Storage.FileSystems;

/// <summary>The fs methods over a plain-folder pool (copies with <c>cp --reflink=auto</c>).</summary>
public sealed class DirectoryFsPoolTests : FsPoolContractTests
{
    private DirectoryInfo _folder = null!;

    protected override Task<IFsPool> CreatePoolAsync()
    {
        _folder = Directory.CreateTempSubdirectory("targetd-dirfs-");
        return Task.FromResult<IFsPool>(new DirectoryFsPool(_folder.FullName + "/", new ProcessRunner()));
    }

    protected override Task RemovePoolAsync()
    {
        _folder.Delete(recursive: true);
        return Task.CompletedTask;
    }

    [Test]
    public async Task The_pool_is_named_by_its_absolute_path_and_uuids_survive_a_restart()
    {
        await OkAsync("fs_create", new { pool_name = _folder.FullName, name = "fs1", size_bytes = 1 << 20 });
        string uuid = await UuidOfAsync("fs1");
        await OkAsync("fs_snapshot", new { fs_uuid = uuid, dest_ss_name = "s1" });
        var snapshot = (await SnapshotsAsync(uuid)).Single();

        var again = new DirectoryFsPool(_folder.FullName, new ProcessRunner());
        var listed = await again.ListAsync();
        var snapshots = await again.ListSnapshotsAsync("fs1");

        Pool.Name.Should().Be(_folder.FullName, "a trailing slash is not part of the name");
        listed.Single().Uuid.Should().Be(uuid);
        snapshots.Single().Uuid.Should().Be((string?)snapshot["uuid"]);
        snapshots.Single().Timestamp.Should().Be((long)snapshot["timestamp"]!);
    }

    [Test]
    public async Task Snapshots_copy_links_modes_and_nested_folders()
    {
        await OkAsync("fs_create", new { pool_name = Pool.Name, name = "fs1", size_bytes = 0 });
        string root = PathOf("fs1");
        Directory.CreateDirectory(Path.Combine(root, "d", "e"));
        await File.WriteAllBytesAsync(Path.Combine(root, "d", "e", "data.bin"), Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray());
        File.SetUnixFileMode(Path.Combine(root, "d", "e", "data.bin"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(Path.Combine(root, "link"), "d/e/data.bin");

        await OkAsync("fs_snapshot", new { fs_uuid = await UuidOfAsync("fs1"), dest_ss_name = "s1" });

        string copy = Path.Combine(Pool.Name, "targetd_ss", "fs1", "s1");
        (await File.ReadAllBytesAsync(Path.Combine(copy, "d", "e", "data.bin"))).Should().Equal(await File.ReadAllBytesAsync(Path.Combine(root, "d", "e", "data.bin")));
        File.GetUnixFileMode(Path.Combine(copy, "d", "e", "data.bin")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserExecute);
        new FileInfo(Path.Combine(copy, "link")).LinkTarget.Should().Be("d/e/data.bin");
        Directory.EnumerateFileSystemEntries(Path.Combine(Pool.Name, "targetd_ss", "fs1")).Select(Path.GetFileName).Should().Equal("s1");
    }

    [Test]
    public async Task A_failed_copy_leaves_no_partial_snapshot()
    {
        await OkAsync("fs_create", new { pool_name = Pool.Name, name = "fs1", size_bytes = 0 });
        string uuid = await UuidOfAsync("fs1");
        var failing = new RecordingProcessRunner().When(c => c.FileName == "cp", new ProcessResult(1, string.Empty, "cp: No space left on device"));
        var pool = new DirectoryFsPool(Pool.Name, failing);

        var act = () => pool.SnapshotAsync("fs1", "s1");

        (await act.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.CommandFailed);
        Directory.Exists(Path.Combine(Pool.Name, "targetd_ss", "fs1")).Should().BeFalse();
        failing.Invocations.Should().ContainSingle().Which.Arguments.Should().StartWith(["--archive", "--reflink=auto", "--no-target-directory", PathOf("fs1")]);
        (await SnapshotsAsync(uuid)).Should().BeEmpty();
    }

    [Test]
    public async Task Links_in_the_layout_are_neither_listed_nor_followed()
    {
        string outside = Directory.CreateDirectory(Path.Combine(_folder.FullName, "outside")).FullName;
        await File.WriteAllTextAsync(Path.Combine(outside, "secret"), "kept");
        Directory.CreateSymbolicLink(PathOf("escape"), outside);
        await OkAsync("fs_create", new { pool_name = Pool.Name, name = "fs1", size_bytes = 0 });
        Directory.CreateSymbolicLink(Path.Combine(Pool.Name, "targetd_ss", "fs1"), outside);

        var listed = await FileSystemsAsync();
        await OkAsync("fs_destroy", new { uuid = await UuidOfAsync("fs1") });

        listed.Select(f => (string?)f["name"]).Should().Equal("fs1");
        (await File.ReadAllTextAsync(Path.Combine(outside, "secret"))).Should().Be("kept");
        await FailsAsync(-53, "fs_create", new { pool_name = Pool.Name, name = "escape", size_bytes = 0 });
    }

    [Test]
    public async Task Destroying_a_file_system_or_snapshot_with_links_inside_removes_the_links_only()
    {
        string outside = Directory.CreateDirectory(Path.Combine(_folder.FullName, "outside")).FullName;
        await File.WriteAllTextAsync(Path.Combine(outside, "secret"), "kept");
        await OkAsync("fs_create", new { pool_name = Pool.Name, name = "fs1", size_bytes = 0 });
        Directory.CreateDirectory(Path.Combine(PathOf("fs1"), "d"));
        Directory.CreateSymbolicLink(Path.Combine(PathOf("fs1"), "d", "escape"), outside);
        File.CreateSymbolicLink(Path.Combine(PathOf("fs1"), "file-escape"), Path.Combine(outside, "secret"));
        string uuid = await UuidOfAsync("fs1");
        await OkAsync("fs_snapshot", new { fs_uuid = uuid, dest_ss_name = "s1" });

        await Pool.DeleteSnapshotAsync("fs1", "s1");
        await OkAsync("fs_destroy", new { uuid });

        (await File.ReadAllTextAsync(Path.Combine(outside, "secret"))).Should().Be("kept");
        Directory.EnumerateFileSystemEntries(Path.Combine(Pool.Name, "targetd_fs")).Should().BeEmpty();
        Directory.EnumerateFileSystemEntries(Path.Combine(Pool.Name, "targetd_ss")).Should().BeEmpty();
    }

    [Test]
    public async Task A_destroy_whose_index_cannot_be_written_puts_everything_back()
    {
        await OkAsync("fs_create", new { pool_name = Pool.Name, name = "fs1", size_bytes = 0 });
        await File.WriteAllTextAsync(Path.Combine(PathOf("fs1"), "a.txt"), "kept");
        await OkAsync("fs_snapshot", new { fs_uuid = await UuidOfAsync("fs1"), dest_ss_name = "s1" });
        string index = Path.Combine(Pool.Name, ".targetd-fs.json");
        File.Delete(index);
        Directory.CreateDirectory(index);

        var act = () => Pool.DestroyAsync("fs1");

        await act.Should().ThrowAsync<IOException>();
        (await File.ReadAllTextAsync(Path.Combine(PathOf("fs1"), "a.txt"))).Should().Be("kept");
        Directory.Exists(Path.Combine(Pool.Name, "targetd_ss", "fs1", "s1")).Should().BeTrue();
        Directory.EnumerateFileSystemEntries(Path.Combine(Pool.Name, "targetd_fs")).Select(Path.GetFileName).Should().Equal("fs1");
    }
}
