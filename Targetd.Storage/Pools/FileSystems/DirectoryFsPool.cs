using Targetd.Storage.Errors;
using Targetd.Core.Names;
using Targetd.Core.Processes;
using Targetd.Storage.Interop;
using Targetd.Storage.State;

namespace Targetd.Storage.Pools.FileSystems;

/// <summary>
/// An fs pool in a plain folder, for machines without btrfs, with targetd's layout: file systems are folders
/// <c>&lt;pool&gt;/targetd_fs/&lt;name&gt;</c>, snapshots folders <c>&lt;pool&gt;/targetd_ss/&lt;fs&gt;/&lt;snapshot&gt;</c>.
/// Snapshots and clones are copies made with <c>cp --archive --reflink=auto</c>: reflinks where the file system
/// offers them (XFS, btrfs), else full copies. Snapshots are not enforced read-only, and <c>size_bytes</c> is
/// not enforced. Uuids and snapshot times persist in <c>.targetd-fs.json</c>. A copy is made under a hidden
/// name and renamed into place, and a removal first renames its folder away, so a failure leaves nothing half
/// done. Calls reach it one at a time (the JSON-RPC processor serializes them).
/// </summary>
public sealed class DirectoryFsPool : IFsPool
{
    private const string IndexName = ".targetd-fs.json";
    private static readonly TimeSpan CopyTimeout = TimeSpan.FromHours(1);
    private readonly FsLayout _layout;
    private readonly IProcessRunner _runner;
    private readonly AtomicJsonFile<DirectoryFsIndex> _indexFile;
    private readonly TimeProvider _time;

    /// <summary>Creates the pool over an existing folder, named by its absolute path.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public DirectoryFsPool(string folder, IProcessRunner runner, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Name = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (!Directory.Exists(Name))
        {
            throw new DirectoryNotFoundException($"fs pool folder '{Name}' does not exist.");
        }

        _layout = new FsLayout(Name);
        _runner = runner ?? throw new ArgumentNullException(nameof(runner));
        _indexFile = new AtomicJsonFile<DirectoryFsIndex>(Path.Combine(Name, IndexName), DirectoryFsIndexJson.ToJson, DirectoryFsIndexJson.FromJson);
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(_layout.FileSystems);
        Directory.CreateDirectory(_layout.Snapshots);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<FsPoolInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        var (total, free) = BtrfsFsPool.Space(Name);
        return Task.FromResult(new FsPoolInfo(Name, total, free));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<FileSystemEntry>> ListAsync(CancellationToken cancellationToken = default)
    {
        var index = await LoadAsync(cancellationToken).ConfigureAwait(false);
        var names = Children(_layout.FileSystems);
        bool changed = false;
        foreach (string name in names.Where(n => !index.FileSystems.ContainsKey(n)))
        {
            index.FileSystems[name] = Guid.NewGuid().ToString();
            changed = true;
        }

        if (changed)
        {
            await _indexFile.WriteAsync(index, cancellationToken).ConfigureAwait(false);
        }

        var (total, free) = BtrfsFsPool.Space(_layout.FileSystems);
        return [.. names.Select(n => new FileSystemEntry(n, index.FileSystems[n], total, free, Name, Path.Combine(_layout.FileSystems, n)))];
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

        var index = await LoadAsync(cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(path);
        index.FileSystems[name] = Guid.NewGuid().ToString();
        await SaveOrUndoAsync(index, path, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task DestroyAsync(string name, CancellationToken cancellationToken = default)
    {
        string path = _layout.ExistingFileSystem(name);
        var index = await LoadAsync(cancellationToken).ConfigureAwait(false);
        string snapshots = _layout.SnapshotsOf(name);
        string? removedSnapshots = FsLayout.Taken(snapshots) ? MoveAside(snapshots) : null;
        string removed;
        try
        {
            removed = MoveAside(path);
        }
        catch
        {
            if (removedSnapshots is not null)
            {
                Directory.Move(removedSnapshots, snapshots);
            }

            throw;
        }

        index.FileSystems.Remove(name);
        foreach (string key in index.Snapshots.Keys.Where(k => k.StartsWith(name + "/", StringComparison.Ordinal)).ToList())
        {
            index.Snapshots.Remove(key);
        }

        try
        {
            await _indexFile.WriteAsync(index, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Directory.Move(removed, path);
            if (removedSnapshots is not null)
            {
                Directory.Move(removedSnapshots, snapshots);
            }

            throw;
        }

        DeleteTree(removed);
        if (removedSnapshots is not null)
        {
            DeleteTree(removedSnapshots);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SnapshotEntry>> ListSnapshotsAsync(string name, CancellationToken cancellationToken = default)
    {
        _layout.ExistingFileSystem(name);
        var index = await LoadAsync(cancellationToken).ConfigureAwait(false);
        string folder = _layout.SnapshotsOf(name);
        var entries = new List<SnapshotEntry>();
        bool changed = false;
        foreach (string snapshot in FsLayout.IsFolder(folder) ? Children(folder) : [])
        {
            if (!index.Snapshots.TryGetValue(DirectoryFsIndex.Key(name, snapshot), out var record))
            {
                record = new DirectoryFsIndex.SnapshotRecord { Timestamp = new DateTimeOffset(Directory.GetCreationTimeUtc(Path.Combine(folder, snapshot))).ToUnixTimeSeconds() };
                index.Snapshots[DirectoryFsIndex.Key(name, snapshot)] = record;
                changed = true;
            }

            entries.Add(new SnapshotEntry(snapshot, record.Uuid, record.Timestamp));
        }

        if (changed)
        {
            await _indexFile.WriteAsync(index, cancellationToken).ConfigureAwait(false);
        }

        return [.. entries.OrderBy(s => s.Timestamp).ThenBy(s => s.Name, StringComparer.Ordinal)];
    }

    /// <inheritdoc />
    public async Task SnapshotAsync(string name, string snapshot, CancellationToken cancellationToken = default)
    {
        string source = _layout.ExistingFileSystem(name);
        string destination = _layout.Snapshot(name, snapshot);
        if (FsLayout.Taken(destination))
        {
            throw StorageErrors.SnapshotExists();
        }

        var index = await LoadAsync(cancellationToken).ConfigureAwait(false);
        string folder = _layout.SnapshotsOf(name);
        bool created = !FsLayout.Taken(folder);
        if (!created && !FsLayout.IsFolder(folder))
        {
            throw new StorageException($"{folder} is not a folder");
        }

        Directory.CreateDirectory(folder);
        try
        {
            await CopyAsync(source, destination, cancellationToken).ConfigureAwait(false);
            index.Snapshots[DirectoryFsIndex.Key(name, snapshot)] = new DirectoryFsIndex.SnapshotRecord { Timestamp = _time.GetUtcNow().ToUnixTimeSeconds() };
            await SaveOrUndoAsync(index, destination, cancellationToken).ConfigureAwait(false);
        }
        catch when (created)
        {
            SafeTreeRemover.Remove(folder);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task DeleteSnapshotAsync(string name, string snapshot, CancellationToken cancellationToken = default)
    {
        _layout.ExistingFileSystem(name);
        string path = _layout.ExistingSnapshot(name, snapshot);
        var index = await LoadAsync(cancellationToken).ConfigureAwait(false);
        string removed = MoveAside(path);
        if (index.Snapshots.Remove(DirectoryFsIndex.Key(name, snapshot)))
        {
            try
            {
                await _indexFile.WriteAsync(index, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                Directory.Move(removed, path);
                throw;
            }
        }

        DeleteTree(removed);
    }

    /// <inheritdoc />
    public async Task CloneAsync(string name, string? snapshot, string destination, CancellationToken cancellationToken = default)
    {
        var (source, target) = _layout.CloneEnds(name, snapshot, destination);

        var index = await LoadAsync(cancellationToken).ConfigureAwait(false);
        await CopyAsync(source, target, cancellationToken).ConfigureAwait(false);
        index.FileSystems[destination] = Guid.NewGuid().ToString();
        await SaveOrUndoAsync(index, target, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The valid names among a folder's sub-folders (hidden work folders, links and stray files are not listed).</summary>
    private static List<string> Children(string folder) =>
        [.. Directory.EnumerateDirectories(folder).Where(FsLayout.IsFolder).Select(Path.GetFileName).OfType<string>().Where(ResourceName.IsValid).Order(StringComparer.Ordinal)];

    /// <summary>Copies a tree to a hidden name beside <paramref name="destination"/>, then renames it into place.</summary>
    private async Task CopyAsync(string source, string destination, CancellationToken cancellationToken)
    {
        string partial = Path.Combine(Path.GetDirectoryName(destination)!, $".{Path.GetFileName(destination)}.partial-{Guid.NewGuid():N}");
        var copy = new ProcessCommand("cp", "--archive", "--reflink=auto", "--no-target-directory", source, partial) { Timeout = CopyTimeout };
        try
        {
            (await _runner.RunAsync(copy, cancellationToken).ConfigureAwait(false)).EnsureSucceeded(copy);
            Directory.Move(partial, destination);
        }
        catch
        {
            DeleteTree(partial);
            throw;
        }
    }

    private async Task SaveOrUndoAsync(DirectoryFsIndex index, string created, CancellationToken cancellationToken)
    {
        try
        {
            await _indexFile.WriteAsync(index, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            DeleteTree(created);
            throw;
        }
    }

    private async Task<DirectoryFsIndex> LoadAsync(CancellationToken cancellationToken) =>
        await _indexFile.ReadAsync(cancellationToken).ConfigureAwait(false) ?? new DirectoryFsIndex();

    private static string MoveAside(string path)
    {
        string aside = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.removed-{Guid.NewGuid():N}");
        Directory.Move(path, aside);
        return aside;
    }

    /// <summary>
    /// Removes a folder and everything in it; a symbolic link is removed itself, never followed, also when a client
    /// swaps one in while the removal runs.
    /// </summary>
    private static void DeleteTree(string path) => SafeTreeRemover.Remove(path);
}
