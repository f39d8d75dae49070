using Microsoft.Extensions.Time.Testing;
using Targetd.Core.Processes;
using Targetd.Storage.Errors;
using Targetd.Storage.Pools.FileSystems;
using Targetd.Storage.Pools.Zfs;

namespace Targetd.Tests.Storage.Zfs;

/// <summary>The ZFS fs pool against the output real OpenZFS 2.1 printed for the same command lines.</summary>
public sealed class ZfsFsPoolTests
{
    private const string MountPoint = "/tank/fs";
    private const string ListFileSystems = "get -Hpr -t filesystem name,mountpoint,guid,used,available tank/fs";
    private const string SnapshotsOfFs1 = "get -Hpr -t snapshot name,guid,creation tank/fs/fs1";

    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    [Test]
    public async Task Pool_info_is_the_datasets_used_plus_available()
    {
        var runner = new RecordingProcessRunner().Replies("get -Hp -t filesystem name,used,available tank/fs", ZfsOutputs.GetFsPoolStdout);

        (await Pool(runner).GetInfoAsync()).Should().Be(new FsPoolInfo(MountPoint, 49152L + 852775936L, 852775936L));
    }

    [Test]
    public async Task File_systems_are_the_child_datasets_with_guid_space_and_mount_point()
    {
        var runner = new RecordingProcessRunner().Replies(ListFileSystems, ZfsOutputs.GetFsHashWithCloneStdout);

        var listed = await Pool(runner).ListAsync();

        listed.Should().Equal(
            new FileSystemEntry("clone1", "11229966495172591867", 820968960L, 820968960L, MountPoint, "/tank/fs/clone1"),
            new FileSystemEntry("fs1", "16787478300783296576", 24576L + 820968960L, 820968960L, MountPoint, "/tank/fs/fs1"),
            new FileSystemEntry("fs2", "10587128941243959396", 24576L + 33529856L, 33529856L, MountPoint, "/tank/fs/fs2"));
    }

    [Test]
    public async Task Create_makes_a_dataset_and_sets_size_bytes_as_its_quota()
    {
        var runner = new RecordingProcessRunner()
            .Replies("get -Hp -t filesystem guid,used,available tank/fs/fs2", ZfsOutputs.GetFsInfoMissingStdout, ZfsOutputs.GetFsInfoMissingStderr.Replace("missing", "fs2", StringComparison.Ordinal), ZfsOutputs.GetFsInfoMissingExitCode)
            .Replies("create tank/fs/fs2", ZfsOutputs.CreateFsStdout)
            .Replies("set quota=67108864 tank/fs/fs2", ZfsOutputs.SetQuotaStdout);
        var pool = Pool(runner);

        await pool.CreateAsync("fs2", 67108864);

        runner.Changes().Should().Equal("zfs create tank/fs/fs2", "zfs set quota=67108864 tank/fs/fs2");
    }

    [Test]
    public async Task A_file_system_whose_quota_is_refused_is_destroyed_again()
    {
        var runner = new RecordingProcessRunner()
            .Replies("get -Hp -t filesystem guid,used,available tank/fs/fs2", string.Empty, ZfsOutputs.GetFsInfoMissingStderr.Replace("missing", "fs2", StringComparison.Ordinal), 1)
            .Replies("set quota=1024 tank/fs/fs2", ZfsOutputs.SetQuotaTooSmallStdout, ZfsOutputs.SetQuotaTooSmallStderr, ZfsOutputs.SetQuotaTooSmallExitCode);

        var act = () => Pool(runner).CreateAsync("fs2", 1024);

        (await act.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.CommandFailed);
        runner.Changes().Should().Equal("zfs create tank/fs/fs2", "zfs set quota=1024 tank/fs/fs2", "zfs destroy -r tank/fs/fs2");
    }

    [Test]
    public async Task Create_refuses_a_taken_name_and_a_bad_one_without_creating()
    {
        var runner = new RecordingProcessRunner().Replies("get -Hp -t filesystem guid,used,available tank/fs/fs1", ZfsOutputs.GetFsInfoStdout);
        var pool = Pool(runner);

        var taken = await pool.Awaiting(p => p.CreateAsync("fs1", 0)).Should().ThrowAsync<StorageException>();
        var bad = await pool.Awaiting(p => p.CreateAsync("bad*name", 0)).Should().ThrowAsync<StorageException>();

        taken.Which.Kind.Should().Be(StorageErrorKind.FileSystemExists);
        taken.Which.Message.Should().Be("FS already exists with that name (ZFS)");
        bad.Which.Kind.Should().Be(StorageErrorKind.InvalidArgument);
        runner.Changes().Should().BeEmpty();
    }

    [Test]
    public async Task Snapshots_are_listed_with_guid_and_creation_and_a_taken_name_is_refused()
    {
        var runner = new RecordingProcessRunner().Replies(SnapshotsOfFs1, ZfsOutputs.GetSnapshotsStdout).Replies("snapshot tank/fs/fs1@snap2", string.Empty);
        var pool = Pool(runner);

        var snapshots = await pool.ListSnapshotsAsync("fs1");
        var taken = await pool.Awaiting(p => p.SnapshotAsync("fs1", "snap1")).Should().ThrowAsync<StorageException>();
        await pool.SnapshotAsync("fs1", "snap2");

        snapshots.Should().Equal(new SnapshotEntry("snap1", "4464999320350303809", 1796670135));
        taken.Which.Kind.Should().Be(StorageErrorKind.SnapshotExists);
        taken.Which.Message.Should().Be("Snapshot snap1 already exists on pool /tank/fs for fs1");
        runner.Changes().Should().Equal("zfs snapshot tank/fs/fs1@snap2");
    }

    [Test]
    public async Task Deleting_a_snapshot_destroys_it_and_one_with_clones_fails()
    {
        var runner = new RecordingProcessRunner().Replies(SnapshotsOfFs1, ZfsOutputs.GetSnapshotsStdout)
            .Replies("destroy -r tank/fs/fs1@snap1", ZfsOutputs.DestroySnapshotWithClonesStdout, ZfsOutputs.DestroySnapshotWithClonesStderr, ZfsOutputs.DestroySnapshotWithClonesExitCode);
        var pool = Pool(runner);

        var withClones = await pool.Awaiting(p => p.DeleteSnapshotAsync("fs1", "snap1")).Should().ThrowAsync<StorageException>();
        await pool.DeleteSnapshotAsync("fs1", "gone");

        withClones.Which.Message.Should().Be("Could not destroy snapshot");
        runner.Changes().Should().Equal("zfs destroy -r tank/fs/fs1@snap1");
    }

    [Test]
    public async Task A_file_system_whose_snapshot_has_clones_is_not_destroyed()
    {
        var runner = new RecordingProcessRunner()
            .Replies("destroy -r tank/fs/fs1", ZfsOutputs.DestroyFsWithClonesStdout, ZfsOutputs.DestroyFsWithClonesStderr, ZfsOutputs.DestroyFsWithClonesExitCode)
            .Replies("destroy -r tank/fs/fs2", ZfsOutputs.DestroyFsStdout);
        var pool = Pool(runner);

        var refused = await pool.Awaiting(p => p.DestroyAsync("fs1")).Should().ThrowAsync<StorageException>();
        await pool.DestroyAsync("fs2");

        refused.Which.Kind.Should().Be(StorageErrorKind.InvalidArgument);
        refused.Which.Message.Should().Be("Volume fs1 on tank/fs has dependent clones and cannot be destroyed.");
        runner.Changes().Should().Equal("zfs destroy -r tank/fs/fs1", "zfs destroy -r tank/fs/fs2");
    }

    [Test]
    public async Task Clones_come_from_the_given_snapshot_or_a_new_one_of_the_live_file_system()
    {
        var runner = new RecordingProcessRunner()
            .Replies("get -Hp -t filesystem guid,used,available tank/fs/clone1", string.Empty, ZfsOutputs.GetFsInfoMissingStderr.Replace("missing", "clone1", StringComparison.Ordinal), 1)
            .Replies("get -Hp -t filesystem guid,used,available tank/fs/clone2", string.Empty, ZfsOutputs.GetFsInfoMissingStderr.Replace("missing", "clone2", StringComparison.Ordinal), 1)
            .Replies("clone tank/fs/fs1@snap1 tank/fs/clone1", ZfsOutputs.CloneFsStdout)
            .Replies("snapshot tank/fs/fs1@clone21700000000", string.Empty)
            .Replies("clone tank/fs/fs1@clone21700000000 tank/fs/clone2", ZfsOutputs.CloneFsStdout);
        var pool = Pool(runner);

        await pool.CloneAsync("fs1", "snap1", "clone1");
        await pool.CloneAsync("fs1", null, "clone2");

        runner.Changes().Should().Equal(
            "zfs clone tank/fs/fs1@snap1 tank/fs/clone1",
            "zfs snapshot tank/fs/fs1@clone21700000000",
            "zfs clone tank/fs/fs1@clone21700000000 tank/fs/clone2");
    }

    [Test]
    public async Task A_clone_is_refused_when_its_name_is_taken_then_unless_copies_are_enabled()
    {
        var runner = new RecordingProcessRunner()
            .Replies("get -Hp -t filesystem guid,used,available tank/fs/fs1", ZfsOutputs.GetFsInfoStdout)
            .Replies("get -Hp -t filesystem guid,used,available tank/fs/vol1", string.Empty, ZfsOutputs.GetFsInfoOfVolumeStderr.Replace("tank/block/vol1", "tank/fs/vol1", StringComparison.Ordinal), ZfsOutputs.GetFsInfoOfVolumeExitCode)
            .Replies("get -Hp -t filesystem guid,used,available tank/fs/new", string.Empty, ZfsOutputs.GetFsInfoMissingStderr.Replace("missing", "new", StringComparison.Ordinal), 1);
        var disabled = Pool(runner, copyEnabled: false);

        var taken = await disabled.Awaiting(p => p.CloneAsync("fs2", null, "fs1")).Should().ThrowAsync<StorageException>();
        var takenByVolume = await disabled.Awaiting(p => p.CloneAsync("fs2", null, "vol1")).Should().ThrowAsync<StorageException>();
        var off = await disabled.Awaiting(p => p.CloneAsync("fs2", null, "new")).Should().ThrowAsync<StorageException>();

        taken.Which.Kind.Should().Be(StorageErrorKind.CloneExists);
        takenByVolume.Which.Kind.Should().Be(StorageErrorKind.CloneExists, "a dataset of another type holds the name too");
        off.Which.Kind.Should().Be(StorageErrorKind.NotSupported);
        runner.Changes().Should().BeEmpty();
    }

    private static ZfsFsPool Pool(RecordingProcessRunner runner, bool copyEnabled = true) =>
        new(MountPoint, "tank/fs", runner, copyEnabled, new FakeTimeProvider(Now));
}
