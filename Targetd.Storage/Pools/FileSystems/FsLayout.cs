using Targetd.Storage.Errors;
using Targetd.Core.Names;

namespace Targetd.Storage.Pools.FileSystems;

/// <summary>
/// targetd's layout of an fs pool (targetd-peer §8): <c>&lt;pool&gt;/targetd_fs/&lt;fs&gt;</c> and
/// <c>&lt;pool&gt;/targetd_ss/&lt;fs&gt;/&lt;snapshot&gt;</c>. Every name is checked against
/// <c>[a-zA-Z0-9_-]+</c> before it becomes a path component, so no path leaves its pool.
/// </summary>
internal sealed class FsLayout(string root)
{
    public const string FileSystemsFolder = "targetd_fs";

    public const string SnapshotsFolder = "targetd_ss";

    public string Root { get; } = root;

    public string FileSystems => Path.Combine(Root, FileSystemsFolder);

    public string Snapshots => Path.Combine(Root, SnapshotsFolder);

    /// <summary>The path of a file system (InvalidArgument for a bad name).</summary>
    public string FileSystem(string name) => Path.Combine(FileSystems, StorageErrors.EnsureValidName(name));

    /// <summary>The folder of a file system's snapshots (InvalidArgument for a bad name).</summary>
    public string SnapshotsOf(string name) => Path.Combine(Snapshots, StorageErrors.EnsureValidName(name));

    /// <summary>The path of a snapshot (InvalidArgument for a bad name).</summary>
    public string Snapshot(string name, string snapshot) => Path.Combine(SnapshotsOf(name), StorageErrors.EnsureValidName(snapshot));

    /// <summary>The path of an existing file system (FileSystemNotFound otherwise).</summary>
    public string ExistingFileSystem(string name) =>
        ResourceName.IsValid(name) && IsFolder(FileSystem(name)) ? FileSystem(name) : throw StorageErrors.FileSystemNotFound();

    /// <summary>The path of an existing snapshot (SnapshotNotFound otherwise).</summary>
    public string ExistingSnapshot(string name, string snapshot) =>
        ResourceName.IsValid(snapshot) && IsFolder(Snapshot(name, snapshot)) ? Snapshot(name, snapshot) : throw StorageErrors.SnapshotNotFound();

    /// <summary>Whether <paramref name="path"/> is a folder itself, not a symbolic link that could lead out of the pool.</summary>
    public static bool IsFolder(string path) => new DirectoryInfo(path) is { Exists: true, LinkTarget: null };

    /// <summary>Checks a size limit: zero for none, never negative (InvalidArgument).</summary>
    public static void CheckSize(long sizeBytes)
    {
        if (sizeBytes < 0)
        {
            throw StorageErrors.InvalidArgument($"Invalid size_bytes {sizeBytes}");
        }
    }

    /// <summary>Whether something (file, folder or link) exists at <paramref name="path"/>.</summary>
    public static bool Taken(string path) => Path.Exists(path) || new FileInfo(path).LinkTarget is not null;

    /// <summary>
    /// The two ends of fs_clone: the live file system or one of its snapshots, and a destination file system that
    /// must not exist yet (CloneExists).
    /// </summary>
    public (string Source, string Target) CloneEnds(string name, string? snapshot, string destination)
    {
        string source = ExistingFileSystem(name);
        if (snapshot is not null)
        {
            source = ExistingSnapshot(name, snapshot);
        }

        string target = FileSystem(destination);
        return Taken(target) ? throw StorageErrors.CloneExists() : (source, target);
    }
}
