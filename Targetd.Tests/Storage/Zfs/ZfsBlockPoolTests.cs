using Microsoft.Extensions.Time.Testing;
using Targetd.Core.BlockDevices;
using Targetd.Core.Processes;
using Targetd.Storage.Errors;
using Targetd.Storage.Pools;
using Targetd.Storage.Pools.Zfs;

namespace Targetd.Tests.Storage.Zfs;

/// <summary>The ZFS block pool against the output real OpenZFS 2.1 printed for the same command lines.</summary>
public sealed class ZfsBlockPoolTests
{
    private const string Pool = "tank/block";
    private const string ListVolumes = "get -Hpr -t volume volsize,guid tank/block";

    /// <summary>1700000000 s after the epoch: targetd names a copy's snapshot DESTINATION + this.</summary>
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private readonly List<string> _opened = [];

    [Test]
    public async Task Pool_info_is_used_plus_available_with_the_guid_as_a_number()
    {
        var runner = new RecordingProcessRunner().Replies("get -Hp -t all available,used,guid tank/block", ZfsOutputs.GetBlockPoolStdout);

        var info = await Pool_(runner).GetInfoAsync();

        info.Should().Be(new BlockPoolInfo(Pool, 852775936L + 19423232L, 852775936L, "15259515872978363923") { UuidIsNumber = true });
    }

    [Test]
    public async Task A_missing_dataset_is_an_unknown_pool()
    {
        var runner = new RecordingProcessRunner().Replies(
            "get -Hp -t all available,used,guid tank/block", string.Empty, ZfsOutputs.GetVolInfoMissingStderr.Replace("tank/block/missing", Pool, StringComparison.Ordinal), 1);

        var act = () => Pool_(runner).GetInfoAsync();

        (await act.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.PoolNotFound);
    }

    [Test]
    public async Task Volumes_are_the_zvols_below_the_dataset_with_their_guids()
    {
        var runner = new RecordingProcessRunner().Replies(ListVolumes, ZfsOutputs.GetVolumesWithClonesStdout);

        var volumes = await Pool_(runner).ListAsync();

        volumes.Select(v => (v.Name, v.Size, v.Uuid)).Should().Equal(
            ("bad name", 16777216L, "600566878081663597"),
            ("copy1", 16777216L, "17061634902718140275"),
            ("copy2", 33554432L, "1462042843813571588"),
            ("odd", 8192L, "16165586893583826945"),
            ("vol1", 16777216L, "8310087760735301518"),
            ("vol2", 16777216L, "3003797632304412045"));
    }

    [Test]
    public async Task Create_runs_zfs_create_with_the_size_as_given()
    {
        var runner = new RecordingProcessRunner().Replies(ListVolumes, ZfsOutputs.GetVolumesStdout).Replies("create -V 16777216 tank/block/vol2", ZfsOutputs.CreateVolumeStdout);

        await Pool_(runner).CreateAsync("vol2", 16777216);

        runner.Changes().Should().Equal("zfs create -V 16777216 tank/block/vol2");
    }

    [TestCase("vol1", StorageErrorKind.VolumeExists, "Volume with that name exists")]
    [TestCase("-vol", StorageErrorKind.InvalidArgument, "Invalid dataset name, can only contain alphanumeric characters,underscores, dots and hyphens")]
    [TestCase("bad name", StorageErrorKind.InvalidArgument, "Invalid dataset name*")]
    [TestCase("a/b", StorageErrorKind.InvalidArgument, "Invalid dataset name*")]
    public async Task Create_refuses_taken_and_invalid_names_without_running_zfs_create(string name, StorageErrorKind kind, string message)
    {
        var runner = new RecordingProcessRunner().Replies(ListVolumes, ZfsOutputs.GetVolumesStdout);

        var act = () => Pool_(runner).CreateAsync(name, 16777216);

        var refusal = (await act.Should().ThrowAsync<StorageException>().WithMessage(message)).Which;
        refusal.Kind.Should().Be(kind);
        runner.Changes().Should().BeEmpty();
    }

    [Test]
    public async Task A_failed_create_has_targetds_message()
    {
        var runner = new RecordingProcessRunner().Replies(ListVolumes, ZfsOutputs.GetVolumesStdout)
            .Replies("create -V 10737418240 tank/block/big", ZfsOutputs.CreateVolumeTooBigStdout, ZfsOutputs.CreateVolumeTooBigStderr, ZfsOutputs.CreateVolumeTooBigExitCode);

        var act = () => Pool_(runner).CreateAsync("big", 10737418240);

        var failure = (await act.Should().ThrowAsync<StorageException>().WithMessage("Could not create volume big on pool tank/block")).Which;
        failure.Kind.Should().Be(StorageErrorKind.CommandFailed);
        failure.InnerException!.Message.Should().Contain("out of space", "zfs's reason is kept for the log");
    }

    [Test]
    public async Task Destroy_removes_the_zvol_and_its_snapshots()
    {
        var runner = new RecordingProcessRunner().Replies(ListVolumes, ZfsOutputs.GetVolumesWithClonesStdout).Replies("destroy -r tank/block/vol2", ZfsOutputs.DestroyVolumeStdout);

        await Pool_(runner).DestroyAsync("vol2");

        runner.Changes().Should().Equal("zfs destroy -r tank/block/vol2");
    }

    [Test]
    public async Task A_volume_with_copies_is_not_destroyed_and_a_missing_one_is_not_found()
    {
        var runner = new RecordingProcessRunner().Replies(ListVolumes, ZfsOutputs.GetVolumesWithClonesStdout)
            .Replies("destroy -r tank/block/vol1", ZfsOutputs.DestroyVolumeWithClonesStdout, ZfsOutputs.DestroyVolumeWithClonesStderr, ZfsOutputs.DestroyVolumeWithClonesExitCode);
        var pool = Pool_(runner);

        var withCopies = await pool.Awaiting(p => p.DestroyAsync("vol1")).Should().ThrowAsync<StorageException>();
        var missing = await pool.Awaiting(p => p.DestroyAsync("missing")).Should().ThrowAsync<StorageException>();

        withCopies.Which.Kind.Should().Be(StorageErrorKind.InvalidArgument);
        withCopies.Which.Message.Should().Be("Volume vol1 on tank/block has dependent clones and cannot be destroyed.");
        missing.Which.Kind.Should().Be(StorageErrorKind.VolumeNotFound);
        runner.Changes().Should().Equal("zfs destroy -r tank/block/vol1");
    }

    [Test]
    public async Task Copies_are_refused_unless_enabled()
    {
        var runner = new RecordingProcessRunner().Replies(ListVolumes, ZfsOutputs.GetVolumesStdout);

        var act = () => Pool_(runner, copyEnabled: false).CopyAsync("vol1", "copy1", null);

        (await act.Should().ThrowAsync<StorageException>().WithMessage("Copy on ZFS disabled. Consult manual before enabling it.")).Which.Kind.Should().Be(StorageErrorKind.NotSupported);
        runner.Changes().Should().BeEmpty();
    }

    [Test]
    public async Task A_copy_is_a_clone_of_a_snapshot_named_after_it_grown_when_asked()
    {
        var runner = new RecordingProcessRunner().Replies(ListVolumes, ZfsOutputs.GetVolumesStdout)
            .Replies("snapshot tank/block/vol1@copy11700000000", ZfsOutputs.SnapshotVolumeStdout)
            .Replies("clone tank/block/vol1@copy11700000000 tank/block/copy1", ZfsOutputs.CloneVolumeStdout)
            .Replies("snapshot tank/block/vol1@copy21700000000", ZfsOutputs.SnapshotVolumeStdout)
            .Replies("clone -o volsize=33554432 tank/block/vol1@copy21700000000 tank/block/copy2", ZfsOutputs.CloneVolumeWithSizeStdout);
        var pool = Pool_(runner);

        await pool.CopyAsync("vol1", "copy1", null);
        await pool.CopyAsync("vol1", "copy2", 33554432);

        runner.Changes().Should().Equal(
            "zfs snapshot tank/block/vol1@copy11700000000",
            "zfs clone tank/block/vol1@copy11700000000 tank/block/copy1",
            "zfs snapshot tank/block/vol1@copy21700000000",
            "zfs clone -o volsize=33554432 tank/block/vol1@copy21700000000 tank/block/copy2");
    }

    [Test]
    public async Task A_failed_clone_removes_the_snapshot_made_for_it()
    {
        var runner = new RecordingProcessRunner().Replies(ListVolumes, ZfsOutputs.GetVolumesStdout)
            .Replies("snapshot tank/block/vol1@copy11700000000", ZfsOutputs.SnapshotVolumeStdout)
            .Replies("clone tank/block/vol1@copy11700000000 tank/block/copy1", ZfsOutputs.CloneExistsStdout, ZfsOutputs.CloneExistsStderr, ZfsOutputs.CloneExistsExitCode)
            .Replies("destroy -r tank/block/vol1@copy11700000000", ZfsOutputs.DestroyFsSnapshotStdout);

        var act = () => Pool_(runner).CopyAsync("vol1", "copy1", null);

        (await act.Should().ThrowAsync<StorageException>().WithMessage("Could not create clone of vol1@copy11700000000 on pool tank/block")).Which.Kind.Should().Be(StorageErrorKind.CommandFailed);
        runner.Changes().Last().Should().Be("zfs destroy -r tank/block/vol1@copy11700000000");
    }

    [TestCase("missing", "copy", null, StorageErrorKind.VolumeNotFound)]
    [TestCase("vol1", "copy", 16777216L, StorageErrorKind.InvalidArgument)]
    [TestCase("vol1", "vol1", null, StorageErrorKind.VolumeExists)]
    [TestCase("vol1", "bad name", null, StorageErrorKind.InvalidArgument)]
    public async Task Copy_refusals_run_nothing(string source, string destination, long? size, StorageErrorKind kind)
    {
        var runner = new RecordingProcessRunner().Replies(ListVolumes, ZfsOutputs.GetVolumesStdout);

        var act = () => Pool_(runner).CopyAsync(source, destination, size);

        (await act.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(kind);
        runner.Changes().Should().BeEmpty();
    }

    [Test]
    public async Task Resize_sets_volsize_rounded_to_128_KiB_and_only_grows()
    {
        var runner = new RecordingProcessRunner().Replies(ListVolumes, ZfsOutputs.GetVolumesWithClonesStdout)
            .Replies("set volsize=33554432 tank/block/vol2", ZfsOutputs.SetVolsizeGrowStdout)
            .Replies("set volsize=10737418240 tank/block/vol2", ZfsOutputs.SetVolsizeTooBigStdout, ZfsOutputs.SetVolsizeTooBigStderr, ZfsOutputs.SetVolsizeTooBigExitCode);
        var pool = Pool_(runner);

        await pool.ResizeAsync("vol2", 33554432 - 1000);
        var smaller = await pool.Awaiting(p => p.ResizeAsync("vol2", 8388608)).Should().ThrowAsync<StorageException>();
        var tooBig = await pool.Awaiting(p => p.ResizeAsync("vol2", 10737418240)).Should().ThrowAsync<StorageException>();

        smaller.Which.Kind.Should().Be(StorageErrorKind.InvalidArgument);
        tooBig.Which.Kind.Should().Be(StorageErrorKind.CommandFailed);
        runner.Changes().Should().Equal("zfs set volsize=33554432 tank/block/vol2", "zfs set volsize=10737418240 tank/block/vol2");
    }

    [Test]
    public async Task An_export_opens_the_zvols_device_node()
    {
        var runner = new RecordingProcessRunner().Replies(ListVolumes, ZfsOutputs.GetVolumesStdout);

        await using var device = await Pool_(runner).OpenAsync("vol1");
        var missing = () => Pool_(runner).OpenAsync("missing");

        _opened.Should().Equal("/dev/zvol/tank/block/vol1");
        (await missing.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.VolumeNotFound);
    }

    private ZfsBlockPool Pool_(RecordingProcessRunner runner, bool copyEnabled = true) =>
        new(Pool, runner, copyEnabled, new FakeTimeProvider(Now), (path, _) =>
        {
            _opened.Add(path);
            return Task.FromResult<IBlockDevice>(new MemoryBlockDevice(1 << 20));
        });
}
