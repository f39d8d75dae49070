namespace Targetd.Tests.Storage.Zfs;

/// <summary>
/// What real OpenZFS 2.1.11 (Debian 12 zfsutils-linux, kernel module built for Debian's 6.1.0-57-amd64 kernel) printed in the
/// kernel guest for exactly the command lines upstream targetd's ZFS backend runs (<c>targetd/backends/zfs.py</c>),
/// and for the refusals it tells apart: standard output and standard error separately, and the exit status.
/// <c>-H</c> output keeps its tabs. Every command ran, in this order, on the pool <see cref="Layout"/> makes (a 1 GiB
/// file vdev), each followed by <c>zpool sync tank</c>; the comment above each recording names its argv and the
/// datasets present when it ran. guids, creation times and available space (by a few KiB) differ from run to
/// run, and so does the order of the clones a refused destroy lists; the KernelGuest fixture
/// (ZfsRecordingsKernelGuestTests) replays the same sequence and compares with those normalised.
/// </summary>
internal static class ZfsOutputs
{
    /// <summary>The pool and datasets the recordings start from (run as root in the guest).</summary>
    public const string Layout = "set -e\ntruncate -s 1G /srv/zfs.img\nzpool create -f -o cachefile=none tank /srv/zfs.img\nzfs create tank/block\nzfs create tank/fs\nzfs create -V 16777216 tank/block/vol1\nzfs create tank/fs/fs1\nzfs snapshot tank/fs/fs1@snap1\nzpool sync tank\nudevadm settle\n";

    /// <summary>Removes the pool again.</summary>
    public const string Teardown = "zpool destroy -f tank\nrm -f /srv/zfs.img\n";

    // zfs get -Hp -t all type,name tank/block tank/fs
    // on the layout (step 1 of the sequence)
    public const string GetPoolsTypeNameStdout = "tank/block\ttype\tfilesystem\t-\ntank/block\tname\ttank/block\t-\ntank/fs\ttype\tfilesystem\t-\ntank/fs\tname\ttank/fs\t-\n";
    public const string GetPoolsTypeNameStderr = "";
    public const int GetPoolsTypeNameExitCode = 0;

    // zfs get -Hp -t all type,name tank/block tank/missing
    // after the steps above it (the last: GetPoolsTypeName), step 2 of the sequence
    public const string GetPoolsTypeNameMissingStdout = "tank/block\ttype\tfilesystem\t-\ntank/block\tname\ttank/block\t-\n";
    public const string GetPoolsTypeNameMissingStderr = "cannot open 'tank/missing': dataset does not exist\n";
    public const int GetPoolsTypeNameMissingExitCode = 1;

    // zfs get -Hp -t all available,used,guid tank/block
    // after the steps above it (the last: GetPoolsTypeNameMissing), step 3 of the sequence
    public const string GetBlockPoolStdout = "tank/block\tavailable\t852775936\t-\ntank/block\tused\t19423232\t-\ntank/block\tguid\t15259515872978363923\t-\n";
    public const string GetBlockPoolStderr = "";
    public const int GetBlockPoolExitCode = 0;

    // zfs get -Hpr -t volume volsize,guid tank/block
    // after the steps above it (the last: GetBlockPool), step 4 of the sequence
    public const string GetVolumesStdout = "tank/block/vol1\tvolsize\t16777216\tlocal\ntank/block/vol1\tguid\t8310087760735301518\t-\n";
    public const string GetVolumesStderr = "";
    public const int GetVolumesExitCode = 0;

    // zfs get -Hpr -t volume volsize,guid tank/missing
    // after the steps above it (the last: GetVolumes), step 5 of the sequence
    public const string GetVolumesMissingPoolStdout = "";
    public const string GetVolumesMissingPoolStderr = "cannot open 'tank/missing': dataset does not exist\n";
    public const int GetVolumesMissingPoolExitCode = 1;

    // zfs get -Hpr -t filesystem name,mountpoint,guid,used,available tank/fs
    // after the steps above it (the last: GetVolumesMissingPool), step 6 of the sequence
    public const string GetFsHashStdout = "tank/fs\tname\ttank/fs\t-\ntank/fs\tmountpoint\t/tank/fs\tdefault\ntank/fs\tguid\t8304334535595871843\t-\ntank/fs\tused\t49152\t-\ntank/fs\tavailable\t852775936\t-\ntank/fs/fs1\tname\ttank/fs/fs1\t-\ntank/fs/fs1\tmountpoint\t/tank/fs/fs1\tdefault\ntank/fs/fs1\tguid\t16787478300783296576\t-\ntank/fs/fs1\tused\t24576\t-\ntank/fs/fs1\tavailable\t852775936\t-\n";
    public const string GetFsHashStderr = "";
    public const int GetFsHashExitCode = 0;

    // zfs get -Hp -t filesystem name,used,available tank/fs
    // after the steps above it (the last: GetFsHash), step 7 of the sequence
    public const string GetFsPoolStdout = "tank/fs\tname\ttank/fs\t-\ntank/fs\tused\t49152\t-\ntank/fs\tavailable\t852775936\t-\n";
    public const string GetFsPoolStderr = "";
    public const int GetFsPoolExitCode = 0;

    // zfs get -Hp -t volume guid,volsize tank/block/vol1
    // after the steps above it (the last: GetFsPool), step 8 of the sequence
    public const string GetVolInfoStdout = "tank/block/vol1\tguid\t8310087760735301518\t-\ntank/block/vol1\tvolsize\t16777216\tlocal\n";
    public const string GetVolInfoStderr = "";
    public const int GetVolInfoExitCode = 0;

    // zfs get -Hp -t volume guid,volsize tank/block/missing
    // after the steps above it (the last: GetVolInfo), step 9 of the sequence
    public const string GetVolInfoMissingStdout = "";
    public const string GetVolInfoMissingStderr = "cannot open 'tank/block/missing': dataset does not exist\n";
    public const int GetVolInfoMissingExitCode = 1;

    // zfs get -Hp -t volume guid,volsize tank/fs/fs1
    // after the steps above it (the last: GetVolInfoMissing), step 10 of the sequence
    public const string GetVolInfoOfFilesystemStdout = "";
    public const string GetVolInfoOfFilesystemStderr = "cannot open 'tank/fs/fs1': operation not applicable to datasets of this type\n";
    public const int GetVolInfoOfFilesystemExitCode = 1;

    // zfs get -Hp -t filesystem guid,used,available tank/fs/fs1
    // after the steps above it (the last: GetVolInfoOfFilesystem), step 11 of the sequence
    public const string GetFsInfoStdout = "tank/fs/fs1\tguid\t16787478300783296576\t-\ntank/fs/fs1\tused\t24576\t-\ntank/fs/fs1\tavailable\t852775936\t-\n";
    public const string GetFsInfoStderr = "";
    public const int GetFsInfoExitCode = 0;

    // zfs get -Hp -t filesystem guid,used,available tank/fs/missing
    // after the steps above it (the last: GetFsInfo), step 12 of the sequence
    public const string GetFsInfoMissingStdout = "";
    public const string GetFsInfoMissingStderr = "cannot open 'tank/fs/missing': dataset does not exist\n";
    public const int GetFsInfoMissingExitCode = 1;

    // zfs get -Hp -t filesystem guid,used,available tank/block/vol1
    // after the steps above it (the last: GetFsInfoMissing), step 13 of the sequence
    public const string GetFsInfoOfVolumeStdout = "";
    public const string GetFsInfoOfVolumeStderr = "cannot open 'tank/block/vol1': operation not applicable to datasets of this type\n";
    public const int GetFsInfoOfVolumeExitCode = 1;

    // zfs get -Hp -t snapshot guid tank/fs/fs1@snap1
    // after the steps above it (the last: GetFsInfoOfVolume), step 14 of the sequence
    public const string GetSnapInfoStdout = "tank/fs/fs1@snap1\tguid\t4464999320350303809\t-\n";
    public const string GetSnapInfoStderr = "";
    public const int GetSnapInfoExitCode = 0;

    // zfs get -Hp -t snapshot guid tank/fs/fs1@missing
    // after the steps above it (the last: GetSnapInfo), step 15 of the sequence
    public const string GetSnapInfoMissingStdout = "";
    public const string GetSnapInfoMissingStderr = "cannot open 'tank/fs/fs1@missing': dataset does not exist\n";
    public const int GetSnapInfoMissingExitCode = 1;

    // zfs get -Hpr -t snapshot name,guid,creation tank/fs/fs1
    // after the steps above it (the last: GetSnapInfoMissing), step 16 of the sequence
    public const string GetSnapshotsStdout = "tank/fs/fs1@snap1\tname\ttank/fs/fs1@snap1\t-\ntank/fs/fs1@snap1\tguid\t4464999320350303809\t-\ntank/fs/fs1@snap1\tcreation\t1796670135\t-\n";
    public const string GetSnapshotsStderr = "";
    public const int GetSnapshotsExitCode = 0;

    // zfs get -Hpr -t snapshot name,guid,creation tank/block/vol1
    // after the steps above it (the last: GetSnapshots), step 17 of the sequence
    public const string GetSnapshotsNoneStdout = "";
    public const string GetSnapshotsNoneStderr = "";
    public const int GetSnapshotsNoneExitCode = 0;

    // zfs list -Hp -t snapshot -o name -r tank/fs/fs1
    // after the steps above it (the last: GetSnapshotsNone), step 18 of the sequence
    public const string ListSnapshotsStdout = "tank/fs/fs1@snap1\n";
    public const string ListSnapshotsStderr = "";
    public const int ListSnapshotsExitCode = 0;

    // zfs list -Hp -o name,type,volsize -r tank
    // after the steps above it (the last: ListSnapshots), step 19 of the sequence
    public const string ListStdout = "tank\tfilesystem\t-\ntank/block\tfilesystem\t-\ntank/block/vol1\tvolume\t16777216\ntank/fs\tfilesystem\t-\ntank/fs/fs1\tfilesystem\t-\n";
    public const string ListStderr = "";
    public const int ListExitCode = 0;

    // zfs list -Hp -o name tank/missing
    // after the steps above it (the last: List), step 20 of the sequence
    public const string ListMissingStdout = "";
    public const string ListMissingStderr = "cannot open 'tank/missing': dataset does not exist\n";
    public const int ListMissingExitCode = 1;

    // zfs create -V 16777216 tank/block/vol2
    // after the steps above it (the last: ListMissing), step 21 of the sequence
    public const string CreateVolumeStdout = "";
    public const string CreateVolumeStderr = "";
    public const int CreateVolumeExitCode = 0;

    // zfs create -V 16777216 tank/block/vol2
    // after the steps above it (the last: CreateVolume), step 22 of the sequence
    public const string CreateVolumeExistsStdout = "";
    public const string CreateVolumeExistsStderr = "cannot create 'tank/block/vol2': dataset already exists\n";
    public const int CreateVolumeExistsExitCode = 1;

    // zfs create -V 16777216 'tank/block/bad name'
    // after the steps above it (the last: CreateVolumeExists), step 23 of the sequence
    public const string CreateVolumeNameWithSpaceStdout = "";
    public const string CreateVolumeNameWithSpaceStderr = "";
    public const int CreateVolumeNameWithSpaceExitCode = 0;

    // zfs create -V 1000 tank/block/odd
    // after the steps above it (the last: CreateVolumeNameWithSpace), step 24 of the sequence
    public const string CreateVolumeSizeRoundedUpStdout = "";
    public const string CreateVolumeSizeRoundedUpStderr = "";
    public const int CreateVolumeSizeRoundedUpExitCode = 0;

    // zfs create -V 10737418240 tank/block/big
    // after the steps above it (the last: CreateVolumeSizeRoundedUp), step 25 of the sequence
    public const string CreateVolumeTooBigStdout = "";
    public const string CreateVolumeTooBigStderr = "cannot create 'tank/block/big': out of space\n";
    public const int CreateVolumeTooBigExitCode = 1;

    // zfs create -V 16777216 tank/missing/vol
    // after the steps above it (the last: CreateVolumeTooBig), step 26 of the sequence
    public const string CreateMissingParentStdout = "";
    public const string CreateMissingParentStderr = "cannot create 'tank/missing/vol': parent does not exist\n";
    public const int CreateMissingParentExitCode = 1;

    // zfs snapshot tank/block/vol1@copy11700000000
    // after the steps above it (the last: CreateMissingParent), step 27 of the sequence
    public const string SnapshotVolumeStdout = "";
    public const string SnapshotVolumeStderr = "";
    public const int SnapshotVolumeExitCode = 0;

    // zfs snapshot tank/block/vol1@copy11700000000
    // after the steps above it (the last: SnapshotVolume), step 28 of the sequence
    public const string SnapshotExistsStdout = "";
    public const string SnapshotExistsStderr = "cannot create snapshot 'tank/block/vol1@copy11700000000': dataset already exists\n";
    public const int SnapshotExistsExitCode = 1;

    // zfs snapshot tank/block/missing@copy11700000000
    // after the steps above it (the last: SnapshotExists), step 29 of the sequence
    public const string SnapshotMissingStdout = "";
    public const string SnapshotMissingStderr = "cannot open 'tank/block/missing': dataset does not exist\nusage:\n\tsnapshot [-r] [-o property=value] ... <filesystem|volume>@<snap> ...\n\nFor the property list, run: zfs set|get\n\nFor the delegated permission list, run: zfs allow|unallow\n";
    public const int SnapshotMissingExitCode = 2;

    // zfs snapshot 'tank/block/vol1@bad name'
    // after the steps above it (the last: SnapshotMissing), step 30 of the sequence
    public const string SnapshotNameWithSpaceStdout = "";
    public const string SnapshotNameWithSpaceStderr = "";
    public const int SnapshotNameWithSpaceExitCode = 0;

    // zfs clone tank/block/vol1@copy11700000000 tank/block/copy1
    // after the steps above it (the last: SnapshotNameWithSpace), step 31 of the sequence
    public const string CloneVolumeStdout = "";
    public const string CloneVolumeStderr = "";
    public const int CloneVolumeExitCode = 0;

    // zfs clone tank/block/vol1@copy11700000000 tank/block/copy1
    // after the steps above it (the last: CloneVolume), step 32 of the sequence
    public const string CloneExistsStdout = "";
    public const string CloneExistsStderr = "cannot create 'tank/block/copy1': dataset already exists\n";
    public const int CloneExistsExitCode = 1;

    // zfs clone tank/block/vol1@missing tank/block/copy9
    // after the steps above it (the last: CloneExists), step 33 of the sequence
    public const string CloneMissingSnapshotStdout = "";
    public const string CloneMissingSnapshotStderr = "cannot open 'tank/block/vol1@missing': dataset does not exist\n";
    public const int CloneMissingSnapshotExitCode = 1;

    // zfs clone -o volsize=33554432 tank/block/vol1@copy11700000000 tank/block/copy2
    // after the steps above it (the last: CloneMissingSnapshot), step 34 of the sequence
    public const string CloneVolumeWithSizeStdout = "";
    public const string CloneVolumeWithSizeStderr = "";
    public const int CloneVolumeWithSizeExitCode = 0;

    // zfs get -Hpr -t volume volsize,guid tank/block
    // after the steps above it (the last: CloneVolumeWithSize), step 35 of the sequence
    public const string GetVolumesWithClonesStdout = "tank/block/bad name\tvolsize\t16777216\tlocal\ntank/block/bad name\tguid\t600566878081663597\t-\ntank/block/copy1\tvolsize\t16777216\tlocal\ntank/block/copy1\tguid\t17061634902718140275\t-\ntank/block/copy2\tvolsize\t33554432\tlocal\ntank/block/copy2\tguid\t1462042843813571588\t-\ntank/block/odd\tvolsize\t8192\tlocal\ntank/block/odd\tguid\t16165586893583826945\t-\ntank/block/vol1\tvolsize\t16777216\tlocal\ntank/block/vol1\tguid\t8310087760735301518\t-\ntank/block/vol2\tvolsize\t16777216\tlocal\ntank/block/vol2\tguid\t3003797632304412045\t-\n";
    public const string GetVolumesWithClonesStderr = "";
    public const int GetVolumesWithClonesExitCode = 0;

    // zfs destroy -r tank/block/vol1
    // after the steps above it (the last: GetVolumesWithClones), step 36 of the sequence
    public const string DestroyVolumeWithClonesStdout = "";
    public const string DestroyVolumeWithClonesStderr = "cannot destroy 'tank/block/vol1': volume has dependent clones\nuse '-R' to destroy the following datasets:\ntank/block/copy1\ntank/block/copy2\n";
    public const int DestroyVolumeWithClonesExitCode = 1;

    // zfs set volsize=33554432 tank/block/vol2
    // after the steps above it (the last: DestroyVolumeWithClones), step 37 of the sequence
    public const string SetVolsizeGrowStdout = "";
    public const string SetVolsizeGrowStderr = "";
    public const int SetVolsizeGrowExitCode = 0;

    // zfs get -Hp -t volume guid,volsize tank/block/vol2
    // after the steps above it (the last: SetVolsizeGrow), step 38 of the sequence
    public const string GetVolsizeGrownStdout = "tank/block/vol2\tguid\t3003797632304412045\t-\ntank/block/vol2\tvolsize\t33554432\tlocal\n";
    public const string GetVolsizeGrownStderr = "";
    public const int GetVolsizeGrownExitCode = 0;

    // zfs set volsize=8388608 tank/block/vol2
    // after the steps above it (the last: GetVolsizeGrown), step 39 of the sequence
    public const string SetVolsizeShrinkStdout = "";
    public const string SetVolsizeShrinkStderr = "";
    public const int SetVolsizeShrinkExitCode = 0;

    // zfs set volsize=1000 tank/block/vol2
    // after the steps above it (the last: SetVolsizeShrink), step 40 of the sequence
    public const string SetVolsizeNotBlockMultipleStdout = "";
    public const string SetVolsizeNotBlockMultipleStderr = "cannot set property for 'tank/block/vol2': 'volsize' must be a multiple of volume block size (8K)\n";
    public const int SetVolsizeNotBlockMultipleExitCode = 1;

    // zfs set volsize=10737418240 tank/block/vol2
    // after the steps above it (the last: SetVolsizeNotBlockMultiple), step 41 of the sequence
    public const string SetVolsizeTooBigStdout = "";
    public const string SetVolsizeTooBigStderr = "cannot set property for 'tank/block/vol2': size is greater than available space\n";
    public const int SetVolsizeTooBigExitCode = 1;

    // zfs set volsize=33554432 tank/block/missing
    // after the steps above it (the last: SetVolsizeTooBig), step 42 of the sequence
    public const string SetVolsizeMissingStdout = "";
    public const string SetVolsizeMissingStderr = "cannot open 'tank/block/missing': dataset does not exist\n";
    public const int SetVolsizeMissingExitCode = 1;

    // zfs set volsize=33554432 tank/fs/fs1
    // after the steps above it (the last: SetVolsizeMissing), step 43 of the sequence
    public const string SetVolsizeOnFilesystemStdout = "";
    public const string SetVolsizeOnFilesystemStderr = "cannot set property for 'tank/fs/fs1': 'volsize' does not apply to datasets of this type\n";
    public const int SetVolsizeOnFilesystemExitCode = 1;

    // zfs create tank/fs/fs2
    // after the steps above it (the last: SetVolsizeOnFilesystem), step 44 of the sequence
    public const string CreateFsStdout = "";
    public const string CreateFsStderr = "";
    public const int CreateFsExitCode = 0;

    // zfs create tank/fs/fs2
    // after the steps above it (the last: CreateFs), step 45 of the sequence
    public const string CreateFsExistsStdout = "";
    public const string CreateFsExistsStderr = "cannot create 'tank/fs/fs2': dataset already exists\n";
    public const int CreateFsExistsExitCode = 1;

    // zfs create 'tank/fs/bad*name'
    // after the steps above it (the last: CreateFsExists), step 46 of the sequence
    public const string CreateFsInvalidNameStdout = "";
    public const string CreateFsInvalidNameStderr = "cannot create 'tank/fs/bad*name': invalid character '*' in name\n";
    public const int CreateFsInvalidNameExitCode = 1;

    // zfs set quota=67108864 tank/fs/fs2
    // after the steps above it (the last: CreateFsInvalidName), step 47 of the sequence
    public const string SetQuotaStdout = "";
    public const string SetQuotaStderr = "";
    public const int SetQuotaExitCode = 0;

    // zfs set refquota=33554432 tank/fs/fs2
    // after the steps above it (the last: SetQuota), step 48 of the sequence
    public const string SetRefquotaStdout = "";
    public const string SetRefquotaStderr = "";
    public const int SetRefquotaExitCode = 0;

    // zfs get -Hp -t filesystem quota,refquota tank/fs/fs2
    // after the steps above it (the last: SetRefquota), step 49 of the sequence
    public const string GetQuotaStdout = "tank/fs/fs2\tquota\t67108864\tlocal\ntank/fs/fs2\trefquota\t33554432\tlocal\n";
    public const string GetQuotaStderr = "";
    public const int GetQuotaExitCode = 0;

    // zfs set quota=lots tank/fs/fs2
    // after the steps above it (the last: GetQuota), step 50 of the sequence
    public const string SetQuotaInvalidStdout = "";
    public const string SetQuotaInvalidStderr = "cannot set property for 'tank/fs/fs2': bad numeric value 'lots'\n";
    public const int SetQuotaInvalidExitCode = 1;

    // zfs set refquota=1024 tank/fs/fs2
    // after the steps above it (the last: SetQuotaInvalid), step 51 of the sequence
    public const string SetQuotaTooSmallStdout = "";
    public const string SetQuotaTooSmallStderr = "cannot set property for 'tank/fs/fs2': size is less than current used or reserved space\n";
    public const int SetQuotaTooSmallExitCode = 1;

    // zfs snapshot tank/fs/fs1@snap1
    // after the steps above it (the last: SetQuotaTooSmall), step 52 of the sequence
    public const string SnapshotFsExistsStdout = "";
    public const string SnapshotFsExistsStderr = "cannot create snapshot 'tank/fs/fs1@snap1': dataset already exists\n";
    public const int SnapshotFsExistsExitCode = 1;

    // zfs clone tank/fs/fs1@snap1 tank/fs/clone1
    // after the steps above it (the last: SnapshotFsExists), step 53 of the sequence
    public const string CloneFsStdout = "";
    public const string CloneFsStderr = "";
    public const int CloneFsExitCode = 0;

    // zfs destroy -r tank/fs/fs1
    // after the steps above it (the last: CloneFs), step 54 of the sequence
    public const string DestroyFsWithClonesStdout = "";
    public const string DestroyFsWithClonesStderr = "cannot destroy 'tank/fs/fs1': filesystem has dependent clones\nuse '-R' to destroy the following datasets:\ntank/fs/clone1\n";
    public const int DestroyFsWithClonesExitCode = 1;

    // zfs destroy -r tank/fs/fs1@snap1
    // after the steps above it (the last: DestroyFsWithClones), step 55 of the sequence
    public const string DestroySnapshotWithClonesStdout = "";
    public const string DestroySnapshotWithClonesStderr = "cannot destroy 'tank/fs/fs1@snap1': snapshot has dependent clones\nuse '-R' to destroy the following datasets:\ntank/fs/clone1\n";
    public const int DestroySnapshotWithClonesExitCode = 1;

    // zfs get -Hpr -t filesystem name,mountpoint,guid,used,available tank/fs
    // after the steps above it (the last: DestroySnapshotWithClones), step 56 of the sequence
    public const string GetFsHashWithCloneStdout = "tank/fs\tname\ttank/fs\t-\ntank/fs\tmountpoint\t/tank/fs\tdefault\ntank/fs\tguid\t8304334535595871843\t-\ntank/fs\tused\t74752\t-\ntank/fs\tavailable\t820968960\t-\ntank/fs/clone1\tname\ttank/fs/clone1\t-\ntank/fs/clone1\tmountpoint\t/tank/fs/clone1\tdefault\ntank/fs/clone1\tguid\t11229966495172591867\t-\ntank/fs/clone1\tused\t0\t-\ntank/fs/clone1\tavailable\t820968960\t-\ntank/fs/fs1\tname\ttank/fs/fs1\t-\ntank/fs/fs1\tmountpoint\t/tank/fs/fs1\tdefault\ntank/fs/fs1\tguid\t16787478300783296576\t-\ntank/fs/fs1\tused\t24576\t-\ntank/fs/fs1\tavailable\t820968960\t-\ntank/fs/fs2\tname\ttank/fs/fs2\t-\ntank/fs/fs2\tmountpoint\t/tank/fs/fs2\tdefault\ntank/fs/fs2\tguid\t10587128941243959396\t-\ntank/fs/fs2\tused\t24576\t-\ntank/fs/fs2\tavailable\t33529856\t-\n";
    public const string GetFsHashWithCloneStderr = "";
    public const int GetFsHashWithCloneExitCode = 0;

    // zfs destroy -r tank/fs/clone1
    // after the steps above it (the last: GetFsHashWithClone), step 57 of the sequence
    public const string DestroyFsCloneStdout = "";
    public const string DestroyFsCloneStderr = "";
    public const int DestroyFsCloneExitCode = 0;

    // zfs destroy -r tank/fs/fs1@snap1
    // after the steps above it (the last: DestroyFsClone), step 58 of the sequence
    public const string DestroyFsSnapshotStdout = "";
    public const string DestroyFsSnapshotStderr = "";
    public const int DestroyFsSnapshotExitCode = 0;

    // zfs destroy -r tank/fs/fs1@snap1
    // after the steps above it (the last: DestroyFsSnapshot), step 59 of the sequence
    public const string DestroyFsSnapshotMissingStdout = "";
    public const string DestroyFsSnapshotMissingStderr = "could not find any snapshots to destroy; check snapshot names.\n";
    public const int DestroyFsSnapshotMissingExitCode = 1;

    // zfs destroy -r tank/fs/fs2
    // after the steps above it (the last: DestroyFsSnapshotMissing), step 60 of the sequence
    public const string DestroyFsStdout = "";
    public const string DestroyFsStderr = "";
    public const int DestroyFsExitCode = 0;

    // zfs destroy -r tank/block/copy2
    // after the steps above it (the last: DestroyFs), step 61 of the sequence
    public const string DestroyVolumeCloneStdout = "";
    public const string DestroyVolumeCloneStderr = "";
    public const int DestroyVolumeCloneExitCode = 0;

    // zfs destroy -r tank/block/vol2
    // after the steps above it (the last: DestroyVolumeClone), step 62 of the sequence
    public const string DestroyVolumeStdout = "";
    public const string DestroyVolumeStderr = "";
    public const int DestroyVolumeExitCode = 0;

    // zfs destroy -r tank/block/missing
    // after the steps above it (the last: DestroyVolume), step 63 of the sequence
    public const string DestroyMissingStdout = "";
    public const string DestroyMissingStderr = "cannot open 'tank/block/missing': dataset does not exist\n";
    public const int DestroyMissingExitCode = 1;

    // zfs destroy -r 'tank/block/bad name'
    // after the steps above it (the last: DestroyMissing), step 64 of the sequence
    public const string DestroyNameWithSpaceStdout = "";
    public const string DestroyNameWithSpaceStderr = "";
    public const int DestroyNameWithSpaceExitCode = 0;

    // zfs destroy -r tank/missing/vol
    // after the steps above it (the last: DestroyNameWithSpace), step 65 of the sequence
    public const string DestroyPoolMissingStdout = "";
    public const string DestroyPoolMissingStderr = "cannot open 'tank/missing/vol': dataset does not exist\n";
    public const int DestroyPoolMissingExitCode = 1;
}
