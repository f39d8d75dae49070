namespace Targetd.Qcow2;

/// <summary>One extent of <c>qemu-img map</c>: how a guest range is stored.</summary>
/// <param name="Start">Guest offset.</param>
/// <param name="Length">Bytes in the extent.</param>
/// <param name="Depth">0 for this image, 1 for its backing file, and so on.</param>
/// <param name="Present">Whether some image in the chain defines the range.</param>
/// <param name="Zero">Whether the range reads as zeroes.</param>
/// <param name="Data">Whether the range holds data.</param>
/// <param name="Offset">Host offset of the data in the file holding it, when it is stored uncompressed.</param>
public sealed record Qcow2MapExtent(long Start, long Length, int Depth, bool Present, bool Zero, bool Data, long? Offset);
