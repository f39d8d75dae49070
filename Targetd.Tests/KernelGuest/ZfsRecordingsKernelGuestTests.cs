using System.Globalization;
using System.Text.RegularExpressions;
using FluentAssertions.Execution;
using Targetd.Core.Processes;
using Targetd.Tests.Storage.Zfs;

namespace Targetd.Tests.KernelGuest;

/// <summary>
/// The <c>zfs</c> output the ZFS unit tests replay (<see cref="ZfsOutputs"/>), printed by real OpenZFS 2.1 in the
/// kernel guest for the same command lines, run in the same order on the same pool layout: a recording that drifts
/// from zfs fails here. guids, creation times (seconds since the epoch), available space and the parent datasets' used space differ from run to run,
/// so both sides are compared with those values of <c>zfs get -Hp</c> lines replaced by a placeholder, and the
/// dependent clones a refused destroy lists (in no fixed order) sorted; everything else, tabs included, must be equal.
/// </summary>
[Category("Interop")]
[Category("KernelGuest")]
[NonParallelizable]
public sealed partial class ZfsRecordingsKernelGuestTests
{
    private const string Separator = "--- standard error ---";

    /// <summary>The recorded commands in the order they ran (each depends on the datasets the ones before left).</summary>
    private static readonly ZfsRecordedCommand[] Sequence =
    [
        new("GetPoolsTypeName", ["get", "-Hp", "-t", "all", "type,name", "tank/block", "tank/fs"], ZfsOutputs.GetPoolsTypeNameStdout, ZfsOutputs.GetPoolsTypeNameStderr, ZfsOutputs.GetPoolsTypeNameExitCode),
        new("GetPoolsTypeNameMissing", ["get", "-Hp", "-t", "all", "type,name", "tank/block", "tank/missing"], ZfsOutputs.GetPoolsTypeNameMissingStdout, ZfsOutputs.GetPoolsTypeNameMissingStderr, ZfsOutputs.GetPoolsTypeNameMissingExitCode),
        new("GetBlockPool", ["get", "-Hp", "-t", "all", "available,used,guid", "tank/block"], ZfsOutputs.GetBlockPoolStdout, ZfsOutputs.GetBlockPoolStderr, ZfsOutputs.GetBlockPoolExitCode),
        new("GetVolumes", ["get", "-Hpr", "-t", "volume", "volsize,guid", "tank/block"], ZfsOutputs.GetVolumesStdout, ZfsOutputs.GetVolumesStderr, ZfsOutputs.GetVolumesExitCode),
        new("GetVolumesMissingPool", ["get", "-Hpr", "-t", "volume", "volsize,guid", "tank/missing"], ZfsOutputs.GetVolumesMissingPoolStdout, ZfsOutputs.GetVolumesMissingPoolStderr, ZfsOutputs.GetVolumesMissingPoolExitCode),
        new("GetFsHash", ["get", "-Hpr", "-t", "filesystem", "name,mountpoint,guid,used,available", "tank/fs"], ZfsOutputs.GetFsHashStdout, ZfsOutputs.GetFsHashStderr, ZfsOutputs.GetFsHashExitCode),
        new("GetFsPool", ["get", "-Hp", "-t", "filesystem", "name,used,available", "tank/fs"], ZfsOutputs.GetFsPoolStdout, ZfsOutputs.GetFsPoolStderr, ZfsOutputs.GetFsPoolExitCode),
        new("GetVolInfo", ["get", "-Hp", "-t", "volume", "guid,volsize", "tank/block/vol1"], ZfsOutputs.GetVolInfoStdout, ZfsOutputs.GetVolInfoStderr, ZfsOutputs.GetVolInfoExitCode),
        new("GetVolInfoMissing", ["get", "-Hp", "-t", "volume", "guid,volsize", "tank/block/missing"], ZfsOutputs.GetVolInfoMissingStdout, ZfsOutputs.GetVolInfoMissingStderr, ZfsOutputs.GetVolInfoMissingExitCode),
        new("GetVolInfoOfFilesystem", ["get", "-Hp", "-t", "volume", "guid,volsize", "tank/fs/fs1"], ZfsOutputs.GetVolInfoOfFilesystemStdout, ZfsOutputs.GetVolInfoOfFilesystemStderr, ZfsOutputs.GetVolInfoOfFilesystemExitCode),
        new("GetFsInfo", ["get", "-Hp", "-t", "filesystem", "guid,used,available", "tank/fs/fs1"], ZfsOutputs.GetFsInfoStdout, ZfsOutputs.GetFsInfoStderr, ZfsOutputs.GetFsInfoExitCode),
        new("GetFsInfoMissing", ["get", "-Hp", "-t", "filesystem", "guid,used,available", "tank/fs/missing"], ZfsOutputs.GetFsInfoMissingStdout, ZfsOutputs.GetFsInfoMissingStderr, ZfsOutputs.GetFsInfoMissingExitCode),
        new("GetFsInfoOfVolume", ["get", "-Hp", "-t", "filesystem", "guid,used,available", "tank/block/vol1"], ZfsOutputs.GetFsInfoOfVolumeStdout, ZfsOutputs.GetFsInfoOfVolumeStderr, ZfsOutputs.GetFsInfoOfVolumeExitCode),
        new("GetSnapInfo", ["get", "-Hp", "-t", "snapshot", "guid", "tank/fs/fs1@snap1"], ZfsOutputs.GetSnapInfoStdout, ZfsOutputs.GetSnapInfoStderr, ZfsOutputs.GetSnapInfoExitCode),
        new("GetSnapInfoMissing", ["get", "-Hp", "-t", "snapshot", "guid", "tank/fs/fs1@missing"], ZfsOutputs.GetSnapInfoMissingStdout, ZfsOutputs.GetSnapInfoMissingStderr, ZfsOutputs.GetSnapInfoMissingExitCode),
        new("GetSnapshots", ["get", "-Hpr", "-t", "snapshot", "name,guid,creation", "tank/fs/fs1"], ZfsOutputs.GetSnapshotsStdout, ZfsOutputs.GetSnapshotsStderr, ZfsOutputs.GetSnapshotsExitCode),
        new("GetSnapshotsNone", ["get", "-Hpr", "-t", "snapshot", "name,guid,creation", "tank/block/vol1"], ZfsOutputs.GetSnapshotsNoneStdout, ZfsOutputs.GetSnapshotsNoneStderr, ZfsOutputs.GetSnapshotsNoneExitCode),
        new("ListSnapshots", ["list", "-Hp", "-t", "snapshot", "-o", "name", "-r", "tank/fs/fs1"], ZfsOutputs.ListSnapshotsStdout, ZfsOutputs.ListSnapshotsStderr, ZfsOutputs.ListSnapshotsExitCode),
        new("List", ["list", "-Hp", "-o", "name,type,volsize", "-r", "tank"], ZfsOutputs.ListStdout, ZfsOutputs.ListStderr, ZfsOutputs.ListExitCode),
        new("ListMissing", ["list", "-Hp", "-o", "name", "tank/missing"], ZfsOutputs.ListMissingStdout, ZfsOutputs.ListMissingStderr, ZfsOutputs.ListMissingExitCode),
        new("CreateVolume", ["create", "-V", "16777216", "tank/block/vol2"], ZfsOutputs.CreateVolumeStdout, ZfsOutputs.CreateVolumeStderr, ZfsOutputs.CreateVolumeExitCode),
        new("CreateVolumeExists", ["create", "-V", "16777216", "tank/block/vol2"], ZfsOutputs.CreateVolumeExistsStdout, ZfsOutputs.CreateVolumeExistsStderr, ZfsOutputs.CreateVolumeExistsExitCode),
        new("CreateVolumeNameWithSpace", ["create", "-V", "16777216", "tank/block/bad name"], ZfsOutputs.CreateVolumeNameWithSpaceStdout, ZfsOutputs.CreateVolumeNameWithSpaceStderr, ZfsOutputs.CreateVolumeNameWithSpaceExitCode),
        new("CreateVolumeSizeRoundedUp", ["create", "-V", "1000", "tank/block/odd"], ZfsOutputs.CreateVolumeSizeRoundedUpStdout, ZfsOutputs.CreateVolumeSizeRoundedUpStderr, ZfsOutputs.CreateVolumeSizeRoundedUpExitCode),
        new("CreateVolumeTooBig", ["create", "-V", "10737418240", "tank/block/big"], ZfsOutputs.CreateVolumeTooBigStdout, ZfsOutputs.CreateVolumeTooBigStderr, ZfsOutputs.CreateVolumeTooBigExitCode),
        new("CreateMissingParent", ["create", "-V", "16777216", "tank/missing/vol"], ZfsOutputs.CreateMissingParentStdout, ZfsOutputs.CreateMissingParentStderr, ZfsOutputs.CreateMissingParentExitCode),
        new("SnapshotVolume", ["snapshot", "tank/block/vol1@copy11700000000"], ZfsOutputs.SnapshotVolumeStdout, ZfsOutputs.SnapshotVolumeStderr, ZfsOutputs.SnapshotVolumeExitCode),
        new("SnapshotExists", ["snapshot", "tank/block/vol1@copy11700000000"], ZfsOutputs.SnapshotExistsStdout, ZfsOutputs.SnapshotExistsStderr, ZfsOutputs.SnapshotExistsExitCode),
        new("SnapshotMissing", ["snapshot", "tank/block/missing@copy11700000000"], ZfsOutputs.SnapshotMissingStdout, ZfsOutputs.SnapshotMissingStderr, ZfsOutputs.SnapshotMissingExitCode),
        new("SnapshotNameWithSpace", ["snapshot", "tank/block/vol1@bad name"], ZfsOutputs.SnapshotNameWithSpaceStdout, ZfsOutputs.SnapshotNameWithSpaceStderr, ZfsOutputs.SnapshotNameWithSpaceExitCode),
        new("CloneVolume", ["clone", "tank/block/vol1@copy11700000000", "tank/block/copy1"], ZfsOutputs.CloneVolumeStdout, ZfsOutputs.CloneVolumeStderr, ZfsOutputs.CloneVolumeExitCode),
        new("CloneExists", ["clone", "tank/block/vol1@copy11700000000", "tank/block/copy1"], ZfsOutputs.CloneExistsStdout, ZfsOutputs.CloneExistsStderr, ZfsOutputs.CloneExistsExitCode),
        new("CloneMissingSnapshot", ["clone", "tank/block/vol1@missing", "tank/block/copy9"], ZfsOutputs.CloneMissingSnapshotStdout, ZfsOutputs.CloneMissingSnapshotStderr, ZfsOutputs.CloneMissingSnapshotExitCode),
        new("CloneVolumeWithSize", ["clone", "-o", "volsize=33554432", "tank/block/vol1@copy11700000000", "tank/block/copy2"], ZfsOutputs.CloneVolumeWithSizeStdout, ZfsOutputs.CloneVolumeWithSizeStderr, ZfsOutputs.CloneVolumeWithSizeExitCode),
        new("GetVolumesWithClones", ["get", "-Hpr", "-t", "volume", "volsize,guid", "tank/block"], ZfsOutputs.GetVolumesWithClonesStdout, ZfsOutputs.GetVolumesWithClonesStderr, ZfsOutputs.GetVolumesWithClonesExitCode),
        new("DestroyVolumeWithClones", ["destroy", "-r", "tank/block/vol1"], ZfsOutputs.DestroyVolumeWithClonesStdout, ZfsOutputs.DestroyVolumeWithClonesStderr, ZfsOutputs.DestroyVolumeWithClonesExitCode),
        new("SetVolsizeGrow", ["set", "volsize=33554432", "tank/block/vol2"], ZfsOutputs.SetVolsizeGrowStdout, ZfsOutputs.SetVolsizeGrowStderr, ZfsOutputs.SetVolsizeGrowExitCode),
        new("GetVolsizeGrown", ["get", "-Hp", "-t", "volume", "guid,volsize", "tank/block/vol2"], ZfsOutputs.GetVolsizeGrownStdout, ZfsOutputs.GetVolsizeGrownStderr, ZfsOutputs.GetVolsizeGrownExitCode),
        new("SetVolsizeShrink", ["set", "volsize=8388608", "tank/block/vol2"], ZfsOutputs.SetVolsizeShrinkStdout, ZfsOutputs.SetVolsizeShrinkStderr, ZfsOutputs.SetVolsizeShrinkExitCode),
        new("SetVolsizeNotBlockMultiple", ["set", "volsize=1000", "tank/block/vol2"], ZfsOutputs.SetVolsizeNotBlockMultipleStdout, ZfsOutputs.SetVolsizeNotBlockMultipleStderr, ZfsOutputs.SetVolsizeNotBlockMultipleExitCode),
        new("SetVolsizeTooBig", ["set", "volsize=10737418240", "tank/block/vol2"], ZfsOutputs.SetVolsizeTooBigStdout, ZfsOutputs.SetVolsizeTooBigStderr, ZfsOutputs.SetVolsizeTooBigExitCode),
        new("SetVolsizeMissing", ["set", "volsize=33554432", "tank/block/missing"], ZfsOutputs.SetVolsizeMissingStdout, ZfsOutputs.SetVolsizeMissingStderr, ZfsOutputs.SetVolsizeMissingExitCode),
        new("SetVolsizeOnFilesystem", ["set", "volsize=33554432", "tank/fs/fs1"], ZfsOutputs.SetVolsizeOnFilesystemStdout, ZfsOutputs.SetVolsizeOnFilesystemStderr, ZfsOutputs.SetVolsizeOnFilesystemExitCode),
        new("CreateFs", ["create", "tank/fs/fs2"], ZfsOutputs.CreateFsStdout, ZfsOutputs.CreateFsStderr, ZfsOutputs.CreateFsExitCode),
        new("CreateFsExists", ["create", "tank/fs/fs2"], ZfsOutputs.CreateFsExistsStdout, ZfsOutputs.CreateFsExistsStderr, ZfsOutputs.CreateFsExistsExitCode),
        new("CreateFsInvalidName", ["create", "tank/fs/bad*name"], ZfsOutputs.CreateFsInvalidNameStdout, ZfsOutputs.CreateFsInvalidNameStderr, ZfsOutputs.CreateFsInvalidNameExitCode),
        new("SetQuota", ["set", "quota=67108864", "tank/fs/fs2"], ZfsOutputs.SetQuotaStdout, ZfsOutputs.SetQuotaStderr, ZfsOutputs.SetQuotaExitCode),
        new("SetRefquota", ["set", "refquota=33554432", "tank/fs/fs2"], ZfsOutputs.SetRefquotaStdout, ZfsOutputs.SetRefquotaStderr, ZfsOutputs.SetRefquotaExitCode),
        new("GetQuota", ["get", "-Hp", "-t", "filesystem", "quota,refquota", "tank/fs/fs2"], ZfsOutputs.GetQuotaStdout, ZfsOutputs.GetQuotaStderr, ZfsOutputs.GetQuotaExitCode),
        new("SetQuotaInvalid", ["set", "quota=lots", "tank/fs/fs2"], ZfsOutputs.SetQuotaInvalidStdout, ZfsOutputs.SetQuotaInvalidStderr, ZfsOutputs.SetQuotaInvalidExitCode),
        new("SetQuotaTooSmall", ["set", "refquota=1024", "tank/fs/fs2"], ZfsOutputs.SetQuotaTooSmallStdout, ZfsOutputs.SetQuotaTooSmallStderr, ZfsOutputs.SetQuotaTooSmallExitCode),
        new("SnapshotFsExists", ["snapshot", "tank/fs/fs1@snap1"], ZfsOutputs.SnapshotFsExistsStdout, ZfsOutputs.SnapshotFsExistsStderr, ZfsOutputs.SnapshotFsExistsExitCode),
        new("CloneFs", ["clone", "tank/fs/fs1@snap1", "tank/fs/clone1"], ZfsOutputs.CloneFsStdout, ZfsOutputs.CloneFsStderr, ZfsOutputs.CloneFsExitCode),
        new("DestroyFsWithClones", ["destroy", "-r", "tank/fs/fs1"], ZfsOutputs.DestroyFsWithClonesStdout, ZfsOutputs.DestroyFsWithClonesStderr, ZfsOutputs.DestroyFsWithClonesExitCode),
        new("DestroySnapshotWithClones", ["destroy", "-r", "tank/fs/fs1@snap1"], ZfsOutputs.DestroySnapshotWithClonesStdout, ZfsOutputs.DestroySnapshotWithClonesStderr, ZfsOutputs.DestroySnapshotWithClonesExitCode),
        new("GetFsHashWithClone", ["get", "-Hpr", "-t", "filesystem", "name,mountpoint,guid,used,available", "tank/fs"], ZfsOutputs.GetFsHashWithCloneStdout, ZfsOutputs.GetFsHashWithCloneStderr, ZfsOutputs.GetFsHashWithCloneExitCode),
        new("DestroyFsClone", ["destroy", "-r", "tank/fs/clone1"], ZfsOutputs.DestroyFsCloneStdout, ZfsOutputs.DestroyFsCloneStderr, ZfsOutputs.DestroyFsCloneExitCode),
        new("DestroyFsSnapshot", ["destroy", "-r", "tank/fs/fs1@snap1"], ZfsOutputs.DestroyFsSnapshotStdout, ZfsOutputs.DestroyFsSnapshotStderr, ZfsOutputs.DestroyFsSnapshotExitCode),
        new("DestroyFsSnapshotMissing", ["destroy", "-r", "tank/fs/fs1@snap1"], ZfsOutputs.DestroyFsSnapshotMissingStdout, ZfsOutputs.DestroyFsSnapshotMissingStderr, ZfsOutputs.DestroyFsSnapshotMissingExitCode),
        new("DestroyFs", ["destroy", "-r", "tank/fs/fs2"], ZfsOutputs.DestroyFsStdout, ZfsOutputs.DestroyFsStderr, ZfsOutputs.DestroyFsExitCode),
        new("DestroyVolumeClone", ["destroy", "-r", "tank/block/copy2"], ZfsOutputs.DestroyVolumeCloneStdout, ZfsOutputs.DestroyVolumeCloneStderr, ZfsOutputs.DestroyVolumeCloneExitCode),
        new("DestroyVolume", ["destroy", "-r", "tank/block/vol2"], ZfsOutputs.DestroyVolumeStdout, ZfsOutputs.DestroyVolumeStderr, ZfsOutputs.DestroyVolumeExitCode),
        new("DestroyMissing", ["destroy", "-r", "tank/block/missing"], ZfsOutputs.DestroyMissingStdout, ZfsOutputs.DestroyMissingStderr, ZfsOutputs.DestroyMissingExitCode),
        new("DestroyNameWithSpace", ["destroy", "-r", "tank/block/bad name"], ZfsOutputs.DestroyNameWithSpaceStdout, ZfsOutputs.DestroyNameWithSpaceStderr, ZfsOutputs.DestroyNameWithSpaceExitCode),
        new("DestroyPoolMissing", ["destroy", "-r", "tank/missing/vol"], ZfsOutputs.DestroyPoolMissingStdout, ZfsOutputs.DestroyPoolMissingStderr, ZfsOutputs.DestroyPoolMissingExitCode),
    ];

    private Support.KernelGuest _guest = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _guest = await Support.KernelGuest.SharedAsync();
        await _guest.RunAsync(ZfsOutputs.Teardown);
        await _guest.RunOkAsync(ZfsOutputs.Layout);
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _guest.RunAsync(ZfsOutputs.Teardown);

    [Test]
    public async Task The_guest_runs_the_recorded_openzfs_version()
    {
        string version = await _guest.RunOkAsync("zfs version");

        version.Should().Be("zfs-2.1.11-1+deb12u1\nzfs-kmod-2.1.11-1+deb12u1\n", "the zfs module is loaded at boot");
    }

    [Test]
    public async Task Every_recorded_command_prints_what_real_zfs_prints()
    {
        var results = new List<(ZfsRecordedCommand Recorded, ProcessResult Real)>();
        foreach (var recorded in Sequence)
        {
            results.Add((recorded, await CaptureAsync(recorded.Arguments)));
        }

        using (new AssertionScope())
        {
            foreach (var (recorded, real) in results)
            {
                string command = "zfs " + string.Join(' ', recorded.Arguments);
                real.ExitCode.Should().Be(recorded.ExitCode, "the exit status of {0} ({1})", command, recorded.Name);
                Normalised(real.StandardOutput).Should().Be(Normalised(recorded.StandardOutput), "the output of {0} ({1})", command, recorded.Name);
                SortedClones(real.StandardError).Should().Be(SortedClones(recorded.StandardError), "the errors of {0} ({1})", command, recorded.Name);
            }
        }
    }

    [Test]
    public void The_normalisation_only_replaces_what_varies_from_run_to_run()
    {
        string line = "tank/fs/fs1@snap1\tguid\t1234567890123456789\t-\ntank/fs/fs1@snap1\tcreation\t1765130000\t-\ntank/fs\tused\t98304\t-\ntank/fs\tavailable\t852775936\t-\ntank/fs/fs1\tused\t24576\t-\n";
        string refusal = "cannot destroy 'tank/block/vol1': volume has dependent clones\nuse '-R' to destroy the following datasets:\ntank/block/copy2\ntank/block/copy1\n";

        Normalised(line).Should().Be("tank/fs/fs1@snap1\tguid\t*\t-\ntank/fs/fs1@snap1\tcreation\t*\t-\ntank/fs\tused\t*\t-\ntank/fs\tavailable\t*\t-\ntank/fs/fs1\tused\t24576\t-\n");
        SortedClones(refusal).Should().Be("cannot destroy 'tank/block/vol1': volume has dependent clones\nuse '-R' to destroy the following datasets:\ntank/block/copy1\ntank/block/copy2\n");
    }

    /// <summary>
    /// A guid, creation time or available space of a <c>zfs get -Hp</c> line becomes <c>*</c>, and so does the used space
    /// of the pool's parent datasets (<c>tank</c>, <c>tank/block</c>, <c>tank/fs</c>): free space and the parents' metadata
    /// differ by a few KiB from one run to the next (where the metadata lands); a leaf's used space does not.
    /// </summary>
    private static string Normalised(string output) => VaryingValue().Replace(output, "$1*");

    /// <summary>zfs lists the dependent clones of a refused destroy in no fixed order: sorted here.</summary>
    private static string SortedClones(string error)
    {
        const string Marker = "use '-R' to destroy the following datasets:\n";
        int at = error.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return error;
        }

        string[] clones = error[(at + Marker.Length)..].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return error[..(at + Marker.Length)] + string.Concat(clones.Order(StringComparer.Ordinal).Select(c => c + "\n"));
    }

    [GeneratedRegex(@"(?m)^((?:[^\t\n]*\t(?:guid|creation|createtxg|available)|tank(?:/block|/fs)?\tused)\t)\d+")]
    private static partial Regex VaryingValue();

    /// <summary>Runs a zfs command in the guest as the recording did (udev settled before, the pool synced after).</summary>
    private async Task<ProcessResult> CaptureAsync(string[] arguments)
    {
        string line = string.Join(' ', ["zfs", .. arguments.Select(a => "'" + a + "'")]);
        string output = await _guest.RunOkAsync(
            $"udevadm settle; {line} >/tmp/zfs.out 2>/tmp/zfs.err; rc=$?; zpool sync tank; echo $rc; cat /tmp/zfs.out; echo '{Separator}'; cat /tmp/zfs.err");
        int newline = output.IndexOf('\n', StringComparison.Ordinal);
        int exitCode = int.Parse(output[..newline], CultureInfo.InvariantCulture);
        string rest = output[(newline + 1)..];
        int separator = rest.LastIndexOf(Separator + "\n", StringComparison.Ordinal);
        return new ProcessResult(exitCode, rest[..separator], rest[(separator + Separator.Length + 1)..]);
    }
}
