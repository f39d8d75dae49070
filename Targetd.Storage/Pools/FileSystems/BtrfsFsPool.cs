using Targetd.Storage.Errors;
using Targetd.Core.Names;
using Targetd.Core.Processes;

namespace Targetd.Storage.Pools.FileSystems;

/// <summary>
/// An fs pool on a btrfs mount point, laid out as targetd lays it out (targetd-peer §7.6, §8): file systems are
/// subvolumes <c>&lt;mount&gt;/targetd_fs/&lt;name&gt;</c>, snapshots read-only subvolumes
/// <c>&lt;mount&gt;/targetd_ss/&lt;fs&gt;/&lt;snapshot&gt;</c>, clones writable snapshots in <c>targetd_fs</c>.
/// Unlike targetd, <c>ss_list</c> lists only that file system's snapshots with their subvolume UUIDs and
/// creation times, and destroying a file system never touches clones. Where quotas are enabled on the file
/// system, <c>size_bytes</c> becomes a qgroup limit on the new subvolume. Calls reach it one at a time (the
/// JSON-RPC processor serializes them).
/// </summary>
public sealed class BtrfsFsPool : IFsPool
{
    private readonly FsLayout _layout;
    private readonly IProcessRunner _runner;

    /// <summary>Creates the pool over a btrfs mount point (or any folder on btrfs), named by its absolute path.</summary>
    public BtrfsFsPool(string mountPoint, IProcessRunner runner)
    {
        ArgumentException.ThrowIfNullOrEmpty(mountPoint);
        Name = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountPoint));
        _layout = new FsLayout(Name);
        _runner = runner ?? throw new ArgumentNullException(nameof(runner));
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        // targetd-peer §4: "btrfs pools: creates subvolumes <mount>/targetd_fs and <mount>/targetd_ss if missing."
        foreach (string folder in new[] { _layout.FileSystems, _layout.Snapshots })
        {
            if (!FsLayout.Taken(folder))
            {
                await RunAsync(BtrfsCommands.CreateSubvolume(folder), cancellationToken).ConfigureAwait(false);
            }
            else if (!Directory.Exists(folder))
            {
                throw new StorageException($"fs pool {Name}: {folder} is not a folder");
            }
        }
    }

    /// <inheritdoc />
    public Task<FsPoolInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        var (total, free) = Space(Name);
        return Task.FromResult(new FsPoolInfo(Name, total, free));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<FileSystemEntry>> ListAsync(CancellationToken cancellationToken = default)
    {
        // targetd-peer §7.6 fs_list: "name = rest of path, uuid = subvolume UUID, total_space/free_space = statvfs of
        // <mount>/targetd_fs (same for all), pool = mount point, full_path = <mount>/targetd_fs/<name>. Clones appear here too."
        var listed = await RunAsync(BtrfsCommands.ListBelow(_layout.FileSystems), cancellationToken).ConfigureAwait(false);
        var (total, free) = Space(_layout.FileSystems);
        return [.. BtrfsSubvolumeList.Parse(listed.StandardOutput)
            .Where(e => e.Components is [.., FsLayout.FileSystemsFolder, var name] && ResourceName.IsValid(name))
            .Select(e => new FileSystemEntry(e.Components[^1], e.Uuid, total, free, Name, Path.Combine(_layout.FileSystems, e.Components[^1])))
            .OrderBy(e => e.Name, StringComparer.Ordinal)];
    }

    /// <inheritdoc />
    public async Task CreateAsync(string name, long sizeBytes, CancellationToken cancellationToken = default)
    {
        string path = _layout.FileSystem(name);
        FsLayout.CheckSize(sizeBytes);
        if (FsLayout.Taken(path))
        {
            throw StorageErrors.FileSystemExists();
        }

        bool limit = sizeBytes > 0 && (await _runner.RunAsync(BtrfsCommands.ShowQgroups(Name), cancellationToken).ConfigureAwait(false)).Succeeded;
        await RunAsync(BtrfsCommands.CreateSubvolume(path), cancellationToken).ConfigureAwait(false);
        if (limit)
        {
            try
            {
                await RunAsync(BtrfsCommands.LimitQgroup(sizeBytes, path), cancellationToken).ConfigureAwait(false);
            }
            catch (StorageException)
            {
                await _runner.RunAsync(BtrfsCommands.DeleteSubvolume(path), CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <inheritdoc />
    public async Task DestroyAsync(string name, CancellationToken cancellationToken = default)
    {
        // targetd-peer §7.6 fs_destroy: "deletes every entry returned by its ss() under <mount>/targetd_ss/<name>/, then that
        // dir subvolume, then targetd_fs/<name>" — with ss() listing only this file system's snapshots, clones stay.
        string path = _layout.ExistingFileSystem(name);

        // A subvolume made inside the file system would stop the last delete after the snapshots are gone: refuse first.
        var nested = BtrfsSubvolumeList.Parse((await RunAsync(BtrfsCommands.ListBelow(path), cancellationToken).ConfigureAwait(false)).StandardOutput)
            .Where(e => e.Components.Length >= 3 && e.Components[^3] == FsLayout.FileSystemsFolder && e.Components[^2] == name).ToList();
        if (nested.Count > 0)
        {
            throw new StorageException(StorageErrorKind.HasDependents, $"File system {name} holds other subvolumes ({string.Join(", ", nested.Select(e => e.Components[^1]))}); remove them first");
        }

        foreach (var snapshot in await ListSnapshotsAsync(name, cancellationToken).ConfigureAwait(false))
        {
            await RunAsync(BtrfsCommands.DeleteSubvolume(_layout.Snapshot(name, snapshot.Name)), cancellationToken).ConfigureAwait(false);
        }

        string snapshots = _layout.SnapshotsOf(name);
        if (new FileInfo(snapshots).LinkTarget is not null)
        {
            File.Delete(snapshots);
        }
        else if (Directory.Exists(snapshots))
        {
            var deleted = await _runner.RunAsync(BtrfsCommands.DeleteSubvolume(snapshots), cancellationToken).ConfigureAwait(false);
            if (!deleted.Succeeded)
            {
                // A plain folder (not made by targetd) is removed when empty; anything else is reported.
                if (Directory.EnumerateFileSystemEntries(snapshots).Any())
                {
                    deleted.EnsureSucceeded(BtrfsCommands.DeleteSubvolume(snapshots));
                }

                Directory.Delete(snapshots);
            }
        }

        await RunAsync(BtrfsCommands.DeleteSubvolume(path), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SnapshotEntry>> ListSnapshotsAsync(string name, CancellationToken cancellationToken = default)
    {
        _layout.ExistingFileSystem(name);
        string folder = _layout.SnapshotsOf(name);
        if (!FsLayout.IsFolder(folder))
        {
            return [];
        }

        var listed = await RunAsync(BtrfsCommands.ListSnapshotsBelow(folder), cancellationToken).ConfigureAwait(false);
        return [.. BtrfsSubvolumeList.Parse(listed.StandardOutput)
            .Where(e => e.Components is [.., FsLayout.SnapshotsFolder, var fs, var snapshot] && fs == name && ResourceName.IsValid(snapshot))
            .Select(e => new SnapshotEntry(e.Components[^1], e.Uuid, e.CreatedAt?.ToUnixTimeSeconds() ?? 0))
            .OrderBy(s => s.Timestamp).ThenBy(s => s.Name, StringComparer.Ordinal)];
    }

    /// <inheritdoc />
    public async Task SnapshotAsync(string name, string snapshot, CancellationToken cancellationToken = default)
    {
        // targetd-peer §7.6 fs_snapshot: "ensure subvolume <mount>/targetd_ss/<fs>; exists → -53;
        // btrfs subvolume snapshot -r <mount>/targetd_fs/<fs> <mount>/targetd_ss/<fs>/<ss>".
        string source = _layout.ExistingFileSystem(name);
        string destination = _layout.Snapshot(name, snapshot);
        if (FsLayout.Taken(destination))
        {
            throw StorageErrors.SnapshotExists();
        }

        string folder = _layout.SnapshotsOf(name);
        bool created = false;
        if (!FsLayout.Taken(folder))
        {
            await RunAsync(BtrfsCommands.CreateSubvolume(folder), cancellationToken).ConfigureAwait(false);
            created = true;
        }
        else if (!FsLayout.IsFolder(folder))
        {
            throw new StorageException($"{folder} is not a folder");
        }

        try
        {
            await RunAsync(BtrfsCommands.Snapshot(source, destination, readOnly: true), cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException) when (created)
        {
            await _runner.RunAsync(BtrfsCommands.DeleteSubvolume(folder), CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task DeleteSnapshotAsync(string name, string snapshot, CancellationToken cancellationToken = default)
    {
        _layout.ExistingFileSystem(name);
        await RunAsync(BtrfsCommands.DeleteSubvolume(_layout.ExistingSnapshot(name, snapshot)), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task CloneAsync(string name, string? snapshot, string destination, CancellationToken cancellationToken = default)
    {
        // targetd-peer §7.6 fs_clone: "btrfs subvolume snapshot <src> <mount>/targetd_fs/<dest> (src = targetd_ss/<fs>/<ss> or
        // targetd_fs/<fs>), dest exists → -51".
        var (source, target) = _layout.CloneEnds(name, snapshot, destination);

        await RunAsync(BtrfsCommands.Snapshot(source, target, readOnly: false), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>statvfs of a path: (f_blocks, f_bavail) in bytes, as targetd reports them.</summary>
    internal static (long Total, long Free) Space(string path)
    {
        var drive = new DriveInfo(path);
        return (drive.TotalSize, drive.AvailableFreeSpace);
    }

    private async Task<ProcessResult> RunAsync(ProcessCommand command, CancellationToken cancellationToken) =>
        (await _runner.RunAsync(command, cancellationToken).ConfigureAwait(false)).EnsureSucceeded(command);
}
