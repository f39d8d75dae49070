using Targetd.Core.Errors;
using Targetd.Storage.Errors;

namespace Targetd.Storage.Targetd;

/// <summary>
/// The one place where a storage adapter's <see cref="StorageErrorKind"/> becomes the targetd error code a client
/// sees; the message is the adapter's, which already is targetd's.
/// </summary>
internal static class StorageErrorCodes
{
    /// <summary>targetd's code for a kind.</summary>
    public static TargetdErrorCode CodeOf(StorageErrorKind kind) => kind switch
    {
        StorageErrorKind.PoolNotFound => TargetdErrorCode.InvalidPool,
        StorageErrorKind.VolumeNotFound => TargetdErrorCode.NotFoundVolume,
        StorageErrorKind.VolumeExists => TargetdErrorCode.NameConflict,
        StorageErrorKind.VolumeInUse => TargetdErrorCode.UnexpectedExitCode,
        StorageErrorKind.FileSystemNotFound => TargetdErrorCode.NotFoundFs,
        StorageErrorKind.FileSystemExists or StorageErrorKind.SnapshotExists => TargetdErrorCode.ExistsFsName,
        StorageErrorKind.SnapshotNotFound => TargetdErrorCode.NotFoundSnapshot,
        StorageErrorKind.CloneExists => TargetdErrorCode.ExistsCloneName,
        StorageErrorKind.InvalidArgument => TargetdErrorCode.InvalidArgument,
        StorageErrorKind.NotSupported => TargetdErrorCode.NoSupport,
        StorageErrorKind.CommandFailed => TargetdErrorCode.UnexpectedExitCode,
        StorageErrorKind.NfsExportNotFound => TargetdErrorCode.NotFoundNfsExport,
        _ => TargetdErrorCode.Invalid, // Failed, PoolUnavailable, HasDependents
    };

}
