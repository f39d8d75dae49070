using Targetd.Core.Processes;
using Targetd.Storage.Pools.Zfs;

namespace Targetd.Tests.Storage.Zfs;

/// <summary>targetd's start-up checks of the configured datasets, against real OpenZFS's answers.</summary>
public sealed class ZfsDatasetCheckTests
{
    [Test]
    public async Task Existing_file_systems_pass()
    {
        var runner = new RecordingProcessRunner().Replies("get -Hp -t all type,name tank/block tank/fs", ZfsOutputs.GetPoolsTypeNameStdout);

        await ZfsDatasetCheck.CheckAsync(runner, ["tank/block", "tank/fs"]);

        runner.CommandLines.Should().Equal("zfs get -Hp -t all type,name tank/block tank/fs");
    }

    [Test]
    public async Task A_missing_dataset_a_volume_and_a_missing_zfs_stop_the_start()
    {
        var missing = new RecordingProcessRunner().Replies(
            "get -Hp -t all type,name tank/block tank/missing", ZfsOutputs.GetPoolsTypeNameMissingStdout, ZfsOutputs.GetPoolsTypeNameMissingStderr, ZfsOutputs.GetPoolsTypeNameMissingExitCode);
        var volume = new RecordingProcessRunner().Replies("get -Hp -t all type,name tank/block/vol1", "tank/block/vol1\ttype\tvolume\t-\ntank/block/vol1\tname\ttank/block/vol1\t-\n");
        var noZfs = new RecordingProcessRunner().When(_ => true, new ProcessResult(ProcessResult.NotStartedExitCode, string.Empty, "zfs: not found"));

        await FluentActions.Awaiting(() => ZfsDatasetCheck.CheckAsync(missing, ["tank/block", "tank/missing"]))
            .Should().ThrowAsync<ArgumentException>().WithMessage("ZFS dataset does not exist: tank/missing");
        await FluentActions.Awaiting(() => ZfsDatasetCheck.CheckAsync(volume, ["tank/block/vol1"]))
            .Should().ThrowAsync<ArgumentException>().WithMessage("ZFS dataset must be of 'filesystem' type. tank/block/vol1 is volume");
        await FluentActions.Awaiting(() => ZfsDatasetCheck.CheckAsync(noZfs, ["tank/block"]))
            .Should().ThrowAsync<ArgumentException>().WithMessage("zfs_block_pools is set but no zfs command was found");
    }

    [TestCase("tank/block,tank/block/sub", "ZFS pools cannot contain both parent and child datasets")]
    [TestCase("tank/a:b", "Colon in ZFS pools is not supported")]
    public void Configured_datasets_follow_targetds_rules(string datasets, string message)
    {
        var act = () => ZfsNames.CheckConfigured(datasets.Split(','));

        act.Should().Throw<ArgumentException>().WithMessage(message);
    }
}
