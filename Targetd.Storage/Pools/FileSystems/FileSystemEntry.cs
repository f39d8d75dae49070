namespace Targetd.Storage.Pools.FileSystems;

/// <summary>A file system as <c>fs_list</c> reports it.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Uuid">Its uuid (the btrfs subvolume UUID, or a persisted one in folder pools).</param>
/// <param name="TotalSpace">Total bytes of the file system holding it.</param>
/// <param name="FreeSpace">Free bytes of the file system holding it.</param>
/// <param name="Pool">The pool's name.</param>
/// <param name="FullPath">Where it is: <c>&lt;pool&gt;/targetd_fs/&lt;name&gt;</c>.</param>
public sealed record FileSystemEntry(string Name, string Uuid, long TotalSpace, long FreeSpace, string Pool, string FullPath);
