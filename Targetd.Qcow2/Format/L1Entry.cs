namespace Targetd.Qcow2.Format;

/// <summary>
/// An L1 table entry (qcow2 spec, "Cluster mapping"): bits 9–55 the L2 table offset, bit 63 COPIED
/// (the L2 table's refcount is exactly one), every other bit reserved.
/// </summary>
internal readonly record struct L1Entry(ulong Raw)
{
    public const ulong OffsetMask = 0x00fffffffffffe00;
    public const ulong ReservedMask = 0x7f000000000001ff;
    public const ulong CopiedFlag = 1UL << 63;

    public long L2Offset => (long)(Raw & OffsetMask);

    public bool IsCopied => (Raw & CopiedFlag) != 0;

    public bool HasReservedBits => (Raw & ReservedMask) != 0;

    public static L1Entry For(long l2Offset, bool copied) => new((ulong)l2Offset | (copied ? CopiedFlag : 0));
}
