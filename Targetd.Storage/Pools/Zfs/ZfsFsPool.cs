using Targetd.Core.Processes;
using Targetd.Storage.Errors;
using Targetd.Storage.Pools.FileSystems;

namespace Targetd.Storage.Pools.Zfs;

/// <summary>
/// An fs pool on a ZFS file system, configured as targetd's <c>fs_pools</c> entry for a ZFS mount point (targetd-peer §4,
/// §7.6): named by the mount point, its file systems are the child datasets of the mounted dataset, their snapshots ZFS
/// snapshots (<c>DATASET/FS@SS</c>) and their clones ZFS clones. File systems and snapshots are identified by their GUIDs.
/// </summary>
/// <remarks>
/// Errors follow targetd: a name outside <c>^[A-Za-z0-9][A-Za-z0-9_.-]*$</c> -32602, a taken file system or snapshot
/// name -53, a taken clone name -51, a clone while <c>zfs_enable_copy</c> is off -153, a file system whose snapshots have
/// clones -32602, and a failed <c>zfs</c> command -303. <c>size_bytes</c> above 0 becomes the new file system's ZFS
/// <c>quota</c>, as it becomes a qgroup limit on btrfs; its <c>total_space</c> is then that quota.
/// </remarks>
public sealed class ZfsFsPool : IFsPool
{
    private readonly ZfsTool _zfs;
    private readonly bool _copyEnabled;

    /// <summary>Creates the pool named <paramref name="mountPoint"/> over the dataset mounted there.</summary>
    /// <param name="mountPoint">The absolute mount point, as configured in <c>fs_pools</c>.</param>
    /// <param name="dataset">The dataset mounted there (<c>/proc/mounts</c>' device field).</param>
    /// <param name="runner">Runs <c>zfs</c>.</param>
    /// <param name="copyEnabled">targetd's <c>zfs_enable_copy</c>: whether <c>fs_clone</c> may snapshot and clone.</param>
    public ZfsFsPool(string mountPoint, string dataset, IProcessRunner runner, bool copyEnabled)
        : this(mountPoint, dataset, runner, copyEnabled, TimeProvider.System)
    {
    }

    internal ZfsFsPool(string mountPoint, string dataset, IProcessRunner runner, bool copyEnabled, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrEmpty(mountPoint);
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(time);
        ZfsNames.CheckConfigured([dataset]);
        Name = mountPoint;
        Dataset = dataset;
        _zfs = new ZfsTool(runner, time);
        _copyEnabled = copyEnabled;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The dataset whose children are the pool's file systems.</summary>
    public string Dataset { get; }

    /// <summary>Nothing to lay out: the file systems are the dataset's children.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>targetd's ZFS <c>fs_pools</c>: size = used + available, free = available of the dataset.</summary>
    public async Task<FsPoolInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        var properties = await _zfs.GetAsync("filesystem", "name,used,available", recursive: false, Dataset, cancellationToken).ConfigureAwait(false);
        if (!properties.Contains(Dataset))
        {
            throw StorageErrors.PoolNotFound(Name);
        }

        long available = properties.Number(Dataset, "available");
        return new FsPoolInfo(Name, available + properties.Number(Dataset, "used"), available);
    }

    /// <summary>
    /// targetd-peer §7.6 fs_list: "zfs get -Hpr -t filesystem name,mountpoint,guid,used,available DATASET minus the dataset
    /// itself; uuid = guid, total_space = used+available, free_space = available, pool = mount point, full_path = mountpoint".
    /// </summary>
    public async Task<IReadOnlyList<FileSystemEntry>> ListAsync(CancellationToken cancellationToken = default)
    {
        var properties = await _zfs.GetAsync("filesystem", "name,mountpoint,guid,used,available", recursive: true, Dataset, cancellationToken).ConfigureAwait(false);
        return [.. properties.Datasets
            .Where(d => d.StartsWith(Dataset + "/", StringComparison.Ordinal))
            .Select(d =>
            {
                long available = properties.Number(d, "available");
                return new FileSystemEntry(d[(Dataset.Length + 1)..], properties.Guid(d), properties.Number(d, "used") + available, available, Name, properties.Text(d, "mountpoint") ?? string.Empty);
            })
            .OrderBy(f => f.Name, StringComparer.Ordinal)];
    }

    /// <summary>
    /// <c>zfs create DATASET/NAME</c>, then <c>zfs set quota=SIZE</c> when a size is given (-32602 for a bad name or size, -53
    /// when taken); a file system whose quota cannot be set is destroyed again.
    /// </summary>
    public async Task CreateAsync(string name, long sizeBytes, CancellationToken cancellationToken = default)
    {
        ZfsNames.EnsureValid(name);
        FsLayout.CheckSize(sizeBytes);
        if (await ExistsAsync(name, cancellationToken).ConfigureAwait(false))
        {
            throw new StorageException(StorageErrorKind.FileSystemExists, "FS already exists with that name (ZFS)");
        }

        await _zfs.RunAsync(ZfsCommands.CreateFileSystem(Child(name)), $"Could not create volume {name} on pool {Name}", cancellationToken).ConfigureAwait(false);
        if (sizeBytes > 0)
        {
            try
            {
                await _zfs.RunAsync(ZfsCommands.SetQuota(Child(name), sizeBytes), $"Could not set the quota of {name} on pool {Name}", cancellationToken).ConfigureAwait(false);
            }
            catch (StorageException)
            {
                await _zfs.DestroyAsync(Dataset, name, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary><c>zfs destroy -r DATASET/NAME</c>: the file system and its snapshots; -32602 while a snapshot has clones.</summary>
    public Task DestroyAsync(string name, CancellationToken cancellationToken = default)
    {
        ZfsNames.EnsureValid(name);
        return _zfs.DestroyAsync(Dataset, name, cancellationToken);
    }

    /// <summary>
    /// targetd-peer §7.6 ss_list: "zfs get -Hpr -t snapshot name,guid,creation DATASET/FS; name = part after @, uuid = guid
    /// string, timestamp = creation", oldest first.
    /// </summary>
    public async Task<IReadOnlyList<SnapshotEntry>> ListSnapshotsAsync(string name, CancellationToken cancellationToken = default)
    {
        ZfsNames.EnsureValid(name);
        string prefix = Child(name) + "@";
        var properties = await _zfs.GetAsync("snapshot", "name,guid,creation", recursive: true, Child(name), cancellationToken).ConfigureAwait(false);
        return [.. properties.Datasets
            .Where(d => d.StartsWith(prefix, StringComparison.Ordinal))
            .Select(d => new SnapshotEntry(d[prefix.Length..], properties.Guid(d), properties.Number(d, "creation")))
            .OrderBy(s => s.Timestamp).ThenBy(s => s.Name, StringComparer.Ordinal)];
    }

    /// <summary><c>zfs snapshot DATASET/NAME@SNAPSHOT</c> (-32602 for a bad name, -53 when taken).</summary>
    public async Task SnapshotAsync(string name, string snapshot, CancellationToken cancellationToken = default)
    {
        ZfsNames.EnsureValid(name);
        ZfsNames.EnsureValid(snapshot);
        if ((await ListSnapshotsAsync(name, cancellationToken).ConfigureAwait(false)).Any(s => s.Name == snapshot))
        {
            throw new StorageException(StorageErrorKind.SnapshotExists, $"Snapshot {snapshot} already exists on pool {Name} for {name}");
        }

        await _zfs.RunAsync(ZfsCommands.Snapshot($"{Child(name)}@{snapshot}"), "Could not create snapshot", cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>zfs destroy -r DATASET/NAME@SNAPSHOT</c>; a snapshot that is gone is no error, as in targetd.</summary>
    public async Task DeleteSnapshotAsync(string name, string snapshot, CancellationToken cancellationToken = default)
    {
        ZfsNames.EnsureValid(name);
        ZfsNames.EnsureValid(snapshot);
        if ((await ListSnapshotsAsync(name, cancellationToken).ConfigureAwait(false)).All(s => s.Name != snapshot))
        {
            return;
        }

        await _zfs.RunAsync(ZfsCommands.DestroyRecursive($"{Child(name)}@{snapshot}"), "Could not destroy snapshot", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// targetd-peer §7.6 fs_clone: "dest exists → -51; needs zfs_enable_copy (-153); zfs clone from given snapshot or a new
    /// DEST+epoch snapshot".
    /// </summary>
    public async Task CloneAsync(string name, string? snapshot, string destination, CancellationToken cancellationToken = default)
    {
        ZfsNames.EnsureValid(name);
        ZfsNames.EnsureValid(destination);
        if (await ExistsAsync(destination, cancellationToken).ConfigureAwait(false))
        {
            throw new StorageException(StorageErrorKind.CloneExists, "FS already exists with that name (ZFS)");
        }

        if (!_copyEnabled)
        {
            throw ZfsTool.CopyDisabled();
        }

        await _zfs.CloneAsync(Dataset, name, snapshot, destination, volumeSize: null, cancellationToken).ConfigureAwait(false);
    }

    private string Child(string name) => Dataset + "/" + name;

    /// <summary>targetd's <c>fs_info</c>: <c>zfs get -Hp -t filesystem guid,used,available DATASET/NAME</c>.</summary>
    private Task<bool> ExistsAsync(string name, CancellationToken cancellationToken) =>
        _zfs.ExistsAsync("filesystem", "guid,used,available", Child(name), cancellationToken);
}
