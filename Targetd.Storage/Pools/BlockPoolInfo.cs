namespace Targetd.Storage.Pools;

/// <summary>A block pool as <c>pool_list</c> reports it (<c>type</c> is always "block").</summary>
/// <param name="Name">The pool name.</param>
/// <param name="Size">Total bytes.</param>
/// <param name="FreeSize">Free bytes.</param>
/// <param name="Uuid">A stable identifier (the VG or thin pool UUID, or the image pool's).</param>
public sealed record BlockPoolInfo(string Name, long Size, long FreeSize, string Uuid);
