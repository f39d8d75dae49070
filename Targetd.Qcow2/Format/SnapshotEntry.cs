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

    /// <summary>
    /// Parses <paramref name="count"/> entries, checking each against QEMU's limits and the file (qcow2 spec,
    /// "Snapshots": "Byte 0 - 7: Offset into the image file at which the L1 table for the snapshot starts. Must be
    /// aligned to a cluster boundary." and "8 - 11: Number of entries in the L1 table of the snapshots"). Returns
    /// null when <paramref name="table"/> ends before the last entry and more of the file could follow.
    /// </summary>
    /// <exception cref="Qcow2FormatException">An entry is beyond a limit, misplaced, or the table runs past the file.</exception>
    public static List<SnapshotEntry>? ParseTable(ReadOnlySpan<byte> table, int count, long fileLength, int clusterSize, bool wholeTable)
    {
        var entries = new List<SnapshotEntry>(Math.Min(count, 1024));
        int position = 0;
        long l1Bytes = 0;
        for (int i = 0; i < count; i++)
        {
            if (position + 40 > table.Length)
            {
                return wholeTable ? throw new Qcow2FormatException("The snapshot table runs past the end of the image file.") : null;
            }

            var fixedPart = table.Slice(position, 40);
            ulong l1Offset = BinaryPrimitives.ReadUInt64BigEndian(fixedPart);
            uint l1Size = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[8..]);
            int idSize = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[12..]);
            int nameSize = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[14..]);
            uint extraSize = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[36..]);
            if (extraSize > Qcow2Limits.MaxSnapshotExtraData)
            {
                throw new Qcow2FormatException($"Snapshot {i}: extra_data_size {extraSize} is beyond the limit of {Qcow2Limits.MaxSnapshotExtraData} bytes.");
            }

            if (l1Size > Qcow2Limits.MaxL1Bytes / 8)
            {
                throw new Qcow2FormatException($"Snapshot {i}: l1_size {l1Size} is beyond the limit of {Qcow2Limits.MaxL1Bytes / 8} entries.");
            }

            if ((l1Offset & (ulong)(clusterSize - 1)) != 0 || l1Offset > (ulong)fileLength || l1Offset + (l1Size * 8UL) > (ulong)fileLength)
            {
                throw new Qcow2FormatException($"Snapshot {i}: l1_table_offset 0x{l1Offset:x} with l1_size {l1Size} is not cluster aligned or lies past the end of the image file.");
            }

            // Each snapshot has an L1 table of its own, so together they fit in the file; a table named by many
            // snapshots would make every walk of the snapshots cost more than the file.
            l1Bytes += l1Size * 8L;
            if (l1Bytes > fileLength)
            {
                throw new Qcow2FormatException($"Snapshot {i}: the snapshots' L1 tables together ({l1Bytes} bytes) are larger than the image file.");
            }

            int length = 40 + (int)extraSize + idSize + nameSize;
            if (position + length > table.Length)
            {
                return wholeTable ? throw new Qcow2FormatException("The snapshot table runs past the end of the image file.") : null;
            }

            entries.Add(new SnapshotEntry
            {
                L1TableOffset = (long)l1Offset,
                L1Size = (int)l1Size,
                DateSeconds = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[16..]),
                DateNanoseconds = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[20..]),
                VmClockNanoseconds = BinaryPrimitives.ReadUInt64BigEndian(fixedPart[24..]),
                VmStateSize = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[32..]),
                ExtraData = table.Slice(position + 40, (int)extraSize).ToArray(),
                Id = Encoding.UTF8.GetString(table.Slice(position + 40 + (int)extraSize, idSize)),
                Name = Encoding.UTF8.GetString(table.Slice(position + 40 + (int)extraSize + idSize, nameSize)),
            });
            position += (length + 7) & ~7;
            if (position > Qcow2Limits.MaxSnapshotTableBytes)
            {
                throw new Qcow2FormatException($"The snapshot table is larger than {Qcow2Limits.MaxSnapshotTableBytes} bytes.");
            }
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
