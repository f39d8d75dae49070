namespace Targetd.Storage.Pools.FileSystems;

/// <summary>
/// A pool of file systems (a btrfs mount point or a plain folder), named by its absolute path as targetd names
/// fs pools. File system <c>NAME</c> lives at <c>&lt;pool&gt;/targetd_fs/NAME</c>, its snapshot <c>SS</c> at
/// <c>&lt;pool&gt;/targetd_ss/NAME/SS</c>. Every refusal is a <see cref="Errors.StorageException"/> of a
/// <see cref="Errors.StorageErrorKind"/> with a message, and changes nothing.
/// </summary>
public interface IFsPool
{
    /// <summary>The pool's name: its absolute path.</summary>
    string Name { get; }

    /// <summary>Creates <c>targetd_fs</c> and <c>targetd_ss</c> when missing.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>Total and free bytes, as <c>pool_list</c> reports them.</summary>
    Task<FsPoolInfo> GetInfoAsync(CancellationToken cancellationToken = default);

    /// <summary>The file systems (clones included), as <c>fs_list</c> reports them.</summary>
    Task<IReadOnlyList<FileSystemEntry>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates a file system (InvalidArgument for a bad name or size, FileSystemExists when the name is taken).</summary>
    Task CreateAsync(string name, long sizeBytes, CancellationToken cancellationToken = default);

    /// <summary>Destroys a file system and its snapshots; clones made from it stay.</summary>
    Task DestroyAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>That file system's snapshots only, as <c>ss_list</c> reports them.</summary>
    Task<IReadOnlyList<SnapshotEntry>> ListSnapshotsAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Takes a read-only snapshot (InvalidArgument for a bad name, SnapshotExists when the name is taken).</summary>
    Task SnapshotAsync(string name, string snapshot, CancellationToken cancellationToken = default);

    /// <summary>Deletes a snapshot.</summary>
    Task DeleteSnapshotAsync(string name, string snapshot, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes a writable file system <paramref name="destination"/> from the live file system, or from its snapshot
    /// when <paramref name="snapshot"/> is given (InvalidArgument for a bad name, CloneExists when the destination is taken).
    /// </summary>
    Task CloneAsync(string name, string? snapshot, string destination, CancellationToken cancellationToken = default);
}
