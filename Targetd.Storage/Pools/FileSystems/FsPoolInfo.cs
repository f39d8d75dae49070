namespace Targetd.Storage.Pools.FileSystems;

/// <summary>An fs pool as <c>pool_list</c> reports it (<c>type</c> "fs", no <c>uuid</c>).</summary>
/// <param name="Name">The pool's absolute path.</param>
/// <param name="Size">Total bytes of the file system holding it.</param>
/// <param name="FreeSize">Bytes available to unprivileged users.</param>
public sealed record FsPoolInfo(string Name, long Size, long FreeSize);
