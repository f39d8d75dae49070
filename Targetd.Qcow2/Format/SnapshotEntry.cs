using System.Buffers.Binary;
using System.Text;

namespace Targetd.Qcow2.Format;

/// <summary>
/// An internal snapshot table entry (qcow2 spec, "Snapshots"): the snapshot's L1 table, its identity and
/// clocks, optional extra data (VM state size, disk size) and padding to 8 bytes.
/// </summary>
internal sealed record SnapshotEntry
{
    public long L1TableOffset { get; init; }
    public int L1Size { get; init; }
    public string Id { get; init; } = string.Empty;
    public string Name { get; init; } = string.Empty;
    public uint DateSeconds { get; init; }
    public uint DateNanoseconds { get; init; }
    public ulong VmClockNanoseconds { get; init; }
    public uint VmStateSize { get; init; }
    public byte[] ExtraData { get; init; } = [];

    /// <summary>The virtual disk size recorded with the snapshot, when present in the extra data.</summary>
    public long? DiskSize => ExtraData.Length >= 16 ? (long)BinaryPrimitives.ReadUInt64BigEndian(ExtraData.AsSpan(8)) : null;

    /// <summary>Parses <paramref name="count"/> entries; throws on a table that runs past its buffer.</summary>
    public static List<SnapshotEntry> ParseTable(ReadOnlySpan<byte> table, int count)
    {
        var entries = new List<SnapshotEntry>(Math.Min(count, 1024));
        int position = 0;
        for (int i = 0; i < count; i++)
        {
            if (position + 40 > table.Length)
            {
                throw new Qcow2FormatException("The snapshot table runs past the end of the image.");
            }

            var fixedPart = table.Slice(position, 40);
            int idSize = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[12..]);
            int nameSize = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[14..]);
            int extraSize = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(fixedPart[36..]), 1 << 20);
            int length = 40 + extraSize + idSize + nameSize;
            if (position + length > table.Length)
            {
                throw new Qcow2FormatException("The snapshot table runs past the end of the image.");
            }

            entries.Add(new SnapshotEntry
            {
                L1TableOffset = (long)BinaryPrimitives.ReadUInt64BigEndian(fixedPart),
                L1Size = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(fixedPart[8..]), int.MaxValue),
                DateSeconds = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[16..]),
                DateNanoseconds = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[20..]),
                VmClockNanoseconds = BinaryPrimitives.ReadUInt64BigEndian(fixedPart[24..]),
                VmStateSize = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[32..]),
                ExtraData = table.Slice(position + 40, extraSize).ToArray(),
                Id = Encoding.UTF8.GetString(table.Slice(position + 40 + extraSize, idSize)),
                Name = Encoding.UTF8.GetString(table.Slice(position + 40 + extraSize + idSize, nameSize)),
            });
            position += (length + 7) & ~7;
        }

        return entries;
    }

    /// <summary>Bytes this entry takes in the table, padding included.</summary>
    public int EncodedLength => (40 + ExtraData.Length + Encoding.UTF8.GetByteCount(Id) + Encoding.UTF8.GetByteCount(Name) + 7) & ~7;

    /// <summary>Serialises a whole snapshot table.</summary>
    public static byte[] SerializeTable(IReadOnlyList<SnapshotEntry> entries)
    {
        var table = new byte[entries.Sum(e => e.EncodedLength)];
        int position = 0;
        foreach (var entry in entries)
        {
            var span = table.AsSpan(position);
            byte[] id = Encoding.UTF8.GetBytes(entry.Id);
            byte[] name = Encoding.UTF8.GetBytes(entry.Name);
            BinaryPrimitives.WriteUInt64BigEndian(span, (ulong)entry.L1TableOffset);
            BinaryPrimitives.WriteUInt32BigEndian(span[8..], (uint)entry.L1Size);
            BinaryPrimitives.WriteUInt16BigEndian(span[12..], (ushort)id.Length);
            BinaryPrimitives.WriteUInt16BigEndian(span[14..], (ushort)name.Length);
            BinaryPrimitives.WriteUInt32BigEndian(span[16..], entry.DateSeconds);
            BinaryPrimitives.WriteUInt32BigEndian(span[20..], entry.DateNanoseconds);
            BinaryPrimitives.WriteUInt64BigEndian(span[24..], entry.VmClockNanoseconds);
            BinaryPrimitives.WriteUInt32BigEndian(span[32..], entry.VmStateSize);
            BinaryPrimitives.WriteUInt32BigEndian(span[36..], (uint)entry.ExtraData.Length);
            entry.ExtraData.CopyTo(span[40..]);
            id.CopyTo(span[(40 + entry.ExtraData.Length)..]);
            name.CopyTo(span[(40 + entry.ExtraData.Length + id.Length)..]);
            position += entry.EncodedLength;
        }

        return table;
    }
}
