namespace Targetd.Storage.Pools;

/// <summary>A block pool as <c>pool_list</c> reports it (<c>type</c> is always "block").</summary>
/// <param name="Name">The pool name.</param>
/// <param name="Size">Total bytes.</param>
/// <param name="FreeSize">Free bytes.</param>
/// <param name="Uuid">A stable identifier (the VG or thin pool UUID, or the image pool's).</param>
public sealed record BlockPoolInfo(string Name, long Size, long FreeSize, string Uuid)
{
    /// <summary>
    /// Whether <see cref="Uuid"/> is an unsigned 64-bit number sent as a JSON number, as targetd sends a ZFS pool's GUID
    /// (clients such as go-targetd decode it as a number).
    /// </summary>
    public bool UuidIsNumber { get; init; }
}
