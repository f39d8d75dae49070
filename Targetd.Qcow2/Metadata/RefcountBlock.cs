using System.Buffers.Binary;

namespace Targetd.Qcow2.Metadata;

/// <summary>
/// Reads and writes one entry of a refcount block (qcow2 spec, "Host cluster management"): widths below a
/// byte are packed least significant bit first; wider ones are big-endian.
/// </summary>
internal static class RefcountBlock
{
    public static ulong Get(ReadOnlySpan<byte> block, int index, int order)
    {
        switch (order)
        {
            case 3: return block[index];
            case 4: return BinaryPrimitives.ReadUInt16BigEndian(block[(index * 2)..]);
            case 5: return BinaryPrimitives.ReadUInt32BigEndian(block[(index * 4)..]);
            case 6: return BinaryPrimitives.ReadUInt64BigEndian(block[(index * 8)..]);
            default:
                int bits = 1 << order;
                int bit = index * bits;
                return (ulong)((block[bit >> 3] >> (bit & 7)) & ((1 << bits) - 1));
        }
    }

    public static void Set(Span<byte> block, int index, int order, ulong value)
    {
        switch (order)
        {
            case 3: block[index] = (byte)value; break;
            case 4: BinaryPrimitives.WriteUInt16BigEndian(block[(index * 2)..], (ushort)value); break;
            case 5: BinaryPrimitives.WriteUInt32BigEndian(block[(index * 4)..], (uint)value); break;
            case 6: BinaryPrimitives.WriteUInt64BigEndian(block[(index * 8)..], value); break;
            default:
                int bits = 1 << order;
                int bit = index * bits;
                int mask = ((1 << bits) - 1) << (bit & 7);
                block[bit >> 3] = (byte)((block[bit >> 3] & ~mask) | (((int)value << (bit & 7)) & mask));
                break;
        }
    }
}
