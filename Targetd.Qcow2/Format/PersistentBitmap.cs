using System.Buffers.Binary;

namespace Targetd.Qcow2.Format;

/// <summary>
/// A bitmap directory entry (qcow2 spec, "Bitmaps"): its table's offset and size in entries, flags
/// (bit 0 in_use, bit 1 auto = enabled), the type, the granularity and where the entry sits in the directory.
/// </summary>
internal sealed record PersistentBitmap(int DirectoryPosition, long TableOffset, int TableSize, uint Flags, int GranularityBits, string Name)
{
    public const uint InUse = 1;
    public const uint Auto = 2;

    public bool IsEnabled => (Flags & Auto) != 0 && (Flags & InUse) == 0;

    /// <summary>Parses every entry of a bitmap directory; a malformed directory yields the entries before the damage.</summary>
    public static List<PersistentBitmap> ParseDirectory(ReadOnlySpan<byte> directory, int count)
    {
        var bitmaps = new List<PersistentBitmap>();
        int position = 0;
        for (int i = 0; i < count && position + 24 <= directory.Length; i++)
        {
            var entry = directory[position..];
            int nameSize = BinaryPrimitives.ReadUInt16BigEndian(entry[18..]);
            int extraSize = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(entry[20..]), 1 << 20);
            if (position + 24 + extraSize + nameSize > directory.Length)
            {
                break;
            }

            bitmaps.Add(new PersistentBitmap(
                position,
                (long)BinaryPrimitives.ReadUInt64BigEndian(entry),
                (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(entry[8..]), 1 << 24),
                BinaryPrimitives.ReadUInt32BigEndian(entry[12..]),
                entry[17],
                System.Text.Encoding.UTF8.GetString(entry.Slice(24 + extraSize, nameSize))));
            position += (24 + extraSize + nameSize + 7) & ~7;
        }

        return bitmaps;
    }
}
