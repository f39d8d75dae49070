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

    /// <summary>Bits 0-2 (in_use, auto, extra_data_compatible); "Bits 3 - 31: Reserved and must be zero."</summary>
    private const uint KnownFlags = 7;

    /// <summary>BME_MAX_PHYS_SIZE: "#define BME_MAX_PHYS_SIZE 0x20000000" bytes of bitmap data (512 MiB).</summary>
    private const long MaxPhysicalBytes = 0x20000000;

    public bool IsEnabled => (Flags & Auto) != 0 && (Flags & InUse) == 0;

    /// <summary>
    /// Reads and checks the bitmaps extension (qcow2 spec, "Bitmaps extension"): "nb_bitmaps: The number of bitmaps
    /// contained in the image. Must be greater than or equal to 1.", "bitmap_directory_size: Size of the bitmap directory
    /// in bytes. It is the cumulative size of all (nb_bitmaps) bitmap directory entries.", "bitmap_directory_offset: Offset
    /// into the image file at which the bitmap directory starts. Must be aligned to a cluster boundary."
    /// </summary>
    /// <exception cref="Qcow2FormatException">A field is beyond QEMU's limits or the directory lies outside the file.</exception>
    public static (int Count, long Size, long Offset) ReadExtension(ReadOnlySpan<byte> data, long fileLength, int clusterSize)
    {
        if (data.Length < 24)
        {
            throw new Qcow2FormatException($"The bitmaps extension is {data.Length} bytes, shorter than its 24.");
        }

        uint count = BinaryPrimitives.ReadUInt32BigEndian(data);
        ulong size = BinaryPrimitives.ReadUInt64BigEndian(data[8..]);
        ulong offset = BinaryPrimitives.ReadUInt64BigEndian(data[16..]);
        if (count is 0 or > Qcow2Limits.MaxBitmaps)
        {
            throw new Qcow2FormatException($"Bitmaps extension: nb_bitmaps {count} is not between 1 and {Qcow2Limits.MaxBitmaps}.");
        }

        if (size < 24UL * count || size > Qcow2Limits.MaxBitmapDirectoryBytes)
        {
            throw new Qcow2FormatException($"Bitmaps extension: bitmap_directory_size {size} does not fit {count} bitmap(s) within the limit of {Qcow2Limits.MaxBitmapDirectoryBytes} bytes.");
        }

        if ((offset & (ulong)(clusterSize - 1)) != 0 || offset == 0 || offset > (ulong)fileLength || offset + size > (ulong)fileLength)
        {
            throw new Qcow2FormatException($"Bitmaps extension: bitmap_directory_offset 0x{offset:x} is not cluster aligned or the directory lies past the end of the image file.");
        }

        return ((int)count, (long)size, (long)offset);
    }

    /// <summary>
    /// Parses and checks every entry of a bitmap directory against QEMU's limits (block/qcow2-bitmap.c check_dir_entry)
    /// and the file: granularity 9 to 31 bits, a name of at most 1023 bytes, a cluster-aligned table of at most
    /// 0x8000000 entries inside the file, known flags and the dirty tracking type.
    /// </summary>
    /// <exception cref="Qcow2FormatException">An entry is beyond a limit or the directory is shorter than its entries.</exception>
    public static List<PersistentBitmap> ParseDirectory(ReadOnlySpan<byte> directory, int count, long fileLength, int clusterSize)
    {
        var bitmaps = new List<PersistentBitmap>(Math.Min(count, 1024));
        int position = 0;
        for (int i = 0; i < count; i++)
        {
            if (position + 24 > directory.Length)
            {
                throw new Qcow2FormatException($"Bitmap {i}: the bitmap directory ends before its entry.");
            }

            var entry = directory[position..];
            ulong tableOffset = BinaryPrimitives.ReadUInt64BigEndian(entry);
            uint tableSize = BinaryPrimitives.ReadUInt32BigEndian(entry[8..]);
            uint flags = BinaryPrimitives.ReadUInt32BigEndian(entry[12..]);
            int type = entry[16];
            int granularityBits = entry[17];
            int nameSize = BinaryPrimitives.ReadUInt16BigEndian(entry[18..]);
            uint extraSize = BinaryPrimitives.ReadUInt32BigEndian(entry[20..]);
            if (granularityBits is < Qcow2Limits.MinBitmapGranularityBits or > Qcow2Limits.MaxBitmapGranularityBits)
            {
                throw new Qcow2FormatException($"Bitmap {i}: granularity_bits {granularityBits} is not between {Qcow2Limits.MinBitmapGranularityBits} and {Qcow2Limits.MaxBitmapGranularityBits}.");
            }

            if (nameSize > Qcow2Limits.MaxBitmapNameSize)
            {
                throw new Qcow2FormatException($"Bitmap {i}: name_size {nameSize} is beyond the limit of {Qcow2Limits.MaxBitmapNameSize}.");
            }

            if (tableSize > Qcow2Limits.MaxBitmapTableEntries || (long)tableSize * clusterSize > MaxPhysicalBytes)
            {
                throw new Qcow2FormatException($"Bitmap {i}: bitmap_table_size {tableSize} is beyond the limit.");
            }

            if ((tableOffset & (ulong)(clusterSize - 1)) != 0 || tableOffset > (ulong)fileLength || tableOffset + (tableSize * 8UL) > (ulong)fileLength)
            {
                throw new Qcow2FormatException($"Bitmap {i}: bitmap_table_offset 0x{tableOffset:x} is not cluster aligned or the table lies past the end of the image file.");
            }

            if ((flags & ~KnownFlags) != 0 || type != 1)
            {
                throw new Qcow2FormatException($"Bitmap {i}: unknown flags 0x{flags:x} or type {type}.");
            }

            if (extraSize > (uint)(directory.Length - position - 24) || position + 24 + (int)extraSize + nameSize > directory.Length)
            {
                throw new Qcow2FormatException($"Bitmap {i}: extra_data_size {extraSize} and name_size {nameSize} run past the bitmap directory.");
            }

            bitmaps.Add(new PersistentBitmap(
                position,
                (long)tableOffset,
                (int)tableSize,
                flags,
                granularityBits,
                System.Text.Encoding.UTF8.GetString(entry.Slice(24 + (int)extraSize, nameSize))));
            position += (24 + (int)extraSize + nameSize + 7) & ~7;
        }

        return bitmaps;
    }
}
