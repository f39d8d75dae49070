namespace Targetd.Storage.Errors;

/// <summary>
/// What kind of refusal or failure a storage adapter (a pool, the NFS export service) reports. Adapters know
/// nothing of an API's error codes: each API maps a kind to its own.
/// </summary>
public enum StorageErrorKind
{
    /// <summary>The storage failed for a reason no other kind names; the message says why.</summary>
    Failed,

    /// <summary>The pool does not exist (e.g. its volume group or thin pool is missing).</summary>
    PoolNotFound,

    /// <summary>The pool exists but cannot be reached (e.g. a Ceph cluster that is down or misconfigured).</summary>
    PoolUnavailable,

    /// <summary>No volume with that name in the pool.</summary>
    VolumeNotFound,

    /// <summary>A volume with that name exists.</summary>
    VolumeExists,

    /// <summary>The volume is open (exported or otherwise in use) and cannot be removed.</summary>
    VolumeInUse,

    /// <summary>No file system with that name in the pool.</summary>
    FileSystemNotFound,

    /// <summary>A file system with that name exists.</summary>
    FileSystemExists,

    /// <summary>No snapshot with that name.</summary>
    SnapshotNotFound,

    /// <summary>A snapshot with that name exists.</summary>
    SnapshotExists,

    /// <summary>The clone's destination exists.</summary>
    CloneExists,

    /// <summary>The item has dependents (e.g. a file system holding other subvolumes) and cannot be removed.</summary>
    HasDependents,

    /// <summary>An argument is invalid: an illegal name, a size that is not larger, an unknown NFS option or host.</summary>
    InvalidArgument,

    /// <summary>The request is not supported by this pool or configuration.</summary>
    NotSupported,

    /// <summary>An external command (lvm2, btrfs-progs, exportfs, a copy) exited with a failure status.</summary>
    CommandFailed,

    /// <summary>No such NFS export.</summary>
    NfsExportNotFound,
}
