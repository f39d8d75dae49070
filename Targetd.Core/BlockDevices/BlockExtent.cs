namespace Targetd.Core.BlockDevices;

/// <summary>A byte range of a block device.</summary>
/// <param name="Offset">The first byte of the range.</param>
/// <param name="Length">The number of bytes in the range.</param>
public readonly record struct BlockExtent(long Offset, long Length)
{
    /// <summary>The first byte after the range.</summary>
    public long End => Offset + Length;
}
