namespace Targetd.Qcow2.Format;

/// <summary>
/// An L2 table entry (qcow2 spec, "Cluster mapping"). Bit 63 COPIED, bit 62 compressed; a standard
/// descriptor has the host offset in bits 9–55 and "reads as zero" in bit 0; a compressed descriptor holds
/// a byte offset in bits 0..x-1 and the number of additional 512-byte sectors in bits x..61, where
/// x = 62 - (cluster_bits - 8). With extended L2 entries a second word holds the subcluster bitmap:
/// bits 0–31 allocated, bits 32–63 reads as zero.
/// </summary>
internal readonly record struct L2Entry(ulong Raw, ulong Bitmap = 0)
{
    public const ulong CopiedFlag = 1UL << 63;
    public const ulong CompressedFlag = 1UL << 62;
    public const ulong ZeroFlag = 1;
    public const ulong OffsetMask = 0x00fffffffffffe00;
    public const ulong StandardReservedMask = 0x3f000000000001fe;
    public const ulong AllSubclustersAllocated = 0x00000000ffffffff;
    public const ulong AllSubclustersZero = 0xffffffff00000000;

    public static L2Entry Unallocated => default;

    public bool IsCompressed => (Raw & CompressedFlag) != 0;

    public bool IsCopied => (Raw & CopiedFlag) != 0;

    /// <summary>The host offset of a standard cluster (0 when unallocated).</summary>
    public long HostOffset => IsCompressed ? 0 : (long)(Raw & OffsetMask);

    /// <summary>Standard entries only: bit 0 "reads as zero" (never used with extended L2).</summary>
    public bool HasZeroFlag => !IsCompressed && (Raw & ZeroFlag) != 0;

    public bool HasReservedBits(bool extendedL2) =>
        !IsCompressed && (Raw & (StandardReservedMask | (extendedL2 ? ZeroFlag : 0))) != 0;

    public uint AllocatedSubclusters => (uint)Bitmap;

    public uint ZeroSubclusters => (uint)(Bitmap >> 32);

    public static L2Entry Standard(long hostOffset, bool copied, bool zero = false, ulong bitmap = 0) =>
        new((ulong)hostOffset | (copied ? CopiedFlag : 0) | (zero ? ZeroFlag : 0), bitmap);

    /// <summary>The byte offset of compressed data.</summary>
    public long CompressedOffset(int clusterBits) => (long)(Raw & ((1UL << CompressedShift(clusterBits)) - 1));

    /// <summary>The 512-byte sectors the compressed data spans (counting the first, partial one).</summary>
    public int CompressedSectors(int clusterBits)
    {
        int shift = CompressedShift(clusterBits);
        ulong mask = (1UL << (62 - shift)) - 1;
        return (int)((Raw >> shift) & mask) + 1;
    }

    public static L2Entry Compressed(long byteOffset, int length, int clusterBits)
    {
        int shift = CompressedShift(clusterBits);
        ulong additionalSectors = (ulong)(((byteOffset + length - 1) >> 9) - (byteOffset >> 9));
        return new(CompressedFlag | (additionalSectors << shift) | (ulong)byteOffset);
    }

    private static int CompressedShift(int clusterBits) => 62 - (clusterBits - 8);
}
