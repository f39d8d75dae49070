using System.Globalization;
using Targetd.Core.Names;
using Targetd.Core.Processes;

namespace Targetd.Storage.Errors;

/// <summary>The refusals the storage adapters share, with the messages targetd sends for them.</summary>
internal static class StorageErrors
{
    /// <summary>A volume name that is taken.</summary>
    public static StorageException VolumeExists() => new(StorageErrorKind.VolumeExists, "Volume with that name exists");

    /// <summary>A volume missing from its pool.</summary>
    public static StorageException VolumeNotFound(string volume, string pool) =>
        new(StorageErrorKind.VolumeNotFound, $"Volume {volume} not found in pool {pool}");

    /// <summary>A pool that does not exist.</summary>
    public static StorageException PoolNotFound(string pool) => new(StorageErrorKind.PoolNotFound, $"Invalid pool ({pool})");

    /// <summary>Removing a volume that is open, as lvremove refuses an LV in use.</summary>
    public static StorageException VolumeInUse(string volume, string pool) =>
        new(StorageErrorKind.VolumeInUse, $"Volume '{volume}' in pool {pool} is in use");

    /// <summary>A copy or resize to a size that is not larger.</summary>
    public static StorageException SizeNotLarger(long size, string volume, string pool) =>
        InvalidArgument(string.Create(CultureInfo.InvariantCulture, $"Size {size} need a larger than size in original volume {volume} in pool {pool}"));

    /// <summary>An unknown file system.</summary>
    public static StorageException FileSystemNotFound() => new(StorageErrorKind.FileSystemNotFound, "fs_uuid not found");

    /// <summary>An unknown snapshot.</summary>
    public static StorageException SnapshotNotFound() => new(StorageErrorKind.SnapshotNotFound, "snapshot not found");

    /// <summary>A file system name that is taken.</summary>
    public static StorageException FileSystemExists() => new(StorageErrorKind.FileSystemExists, "FS already exists");

    /// <summary>A snapshot name that is taken.</summary>
    public static StorageException SnapshotExists() => new(StorageErrorKind.SnapshotExists, "Snapshot already exists with that name");

    /// <summary>A clone destination that is taken.</summary>
    public static StorageException CloneExists() => new(StorageErrorKind.CloneExists, "Filesystem with that name exists");

    /// <summary>An NFS export to remove that does not exist.</summary>
    public static StorageException NfsExportNotFound(string host, string path) =>
        new(StorageErrorKind.NfsExportNotFound, $"NFS export to remove not found {host}:{path}");

    /// <summary>A chown request while chown is disabled.</summary>
    public static StorageException ChownDisabled() =>
        new(StorageErrorKind.NotSupported, "Chown is disabled. Consult manual before enabling it.");

    /// <summary>An invalid argument.</summary>
    public static StorageException InvalidArgument(string message) => new(StorageErrorKind.InvalidArgument, message);

    /// <summary>Returns <paramref name="name"/> when it is a valid resource name.</summary>
    /// <exception cref="StorageException"><see cref="StorageErrorKind.InvalidArgument"/> with targetd's "Illegal name" message.</exception>
    public static string EnsureValidName(string? name) =>
        ResourceName.IsValid(name) ? name! : throw InvalidArgument(ResourceName.IllegalNameMessage);

    /// <summary>Returns <paramref name="result"/> when the program succeeded.</summary>
    /// <exception cref="StorageException"><see cref="StorageErrorKind.CommandFailed"/> naming the command, its status and output.</exception>
    public static ProcessResult EnsureSucceeded(this ProcessResult result, ProcessCommand command)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Succeeded ? result : throw new StorageException(StorageErrorKind.CommandFailed, result.DescribeFailure(command));
    }
}
