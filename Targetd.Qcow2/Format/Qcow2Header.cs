using System.Buffers.Binary;
using System.Text;

namespace Targetd.Qcow2.Format;

/// <summary>
/// The qcow2 image header (qcow2 spec, "Header"): the fixed fields of version 2 (72 bytes) and version 3
/// (104 bytes and up), the header extensions that follow it and the backing file name, all in cluster 0.
/// Unknown additional header fields and unknown extensions are preserved.
/// </summary>
internal sealed record Qcow2Header
{
    public const uint Magic = 0x514649FB;
    public const int Version2Length = 72;
    public const int Version3Length = 104;
    public const int WrittenVersion3Length = 112;
    public const int MaxBackingFileNameLength = 1023;
    public const int MinClusterBits = 9;
    public const int MaxClusterBits = 21;

    public int Version { get; init; }
    public ulong BackingFileOffset { get; init; }
    public int BackingFileSize { get; init; }
    public int ClusterBits { get; init; }
    public long Size { get; init; }
    public int CryptMethod { get; init; }
    public int L1Size { get; init; }
    public long L1TableOffset { get; init; }
    public long RefcountTableOffset { get; init; }
    public int RefcountTableClusters { get; init; }
    public int SnapshotCount { get; init; }
    public long SnapshotsOffset { get; init; }
    public IncompatibleFeatures Incompatible { get; init; }
    public ulong Compatible { get; init; }
    public ulong Autoclear { get; init; }
    public int RefcountOrder { get; init; } = 4;
    public int HeaderLength { get; init; }
    public int CompressionType { get; init; }

    /// <summary>Header bytes past the fields we know (from 112 up to header_length), kept verbatim.</summary>
    public byte[] UnknownHeaderFields { get; init; } = [];

    public IReadOnlyList<HeaderExtension> Extensions { get; init; } = [];

    public string? BackingFile { get; init; }

    public int ClusterSize => 1 << ClusterBits;

    public int RefcountBits => 1 << RefcountOrder;

    public bool HasExtendedL2 => (Incompatible & IncompatibleFeatures.ExtendedL2) != 0;

    public bool HasLazyRefcounts => (Compatible & 1) != 0;

    public string? BackingFormat => FindString(HeaderExtension.BackingFormat);

    public string? ExternalDataFile => FindString(HeaderExtension.ExternalDataFile);

    /// <summary>Parses the header at the start of <paramref name="cluster0"/>, which holds at least the whole first cluster or the whole file.</summary>
    /// <exception cref="Qcow2FormatException">The header is not valid, or names a feature this engine refuses.</exception>
    public static Qcow2Header Parse(ReadOnlySpan<byte> cluster0, long fileLength)
    {
        if (cluster0.Length < Version2Length)
        {
            throw new Qcow2FormatException($"Image is too short for a qcow2 header ({cluster0.Length} bytes).");
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(cluster0) != Magic)
        {
            throw new Qcow2FormatException("Image is not in qcow2 format (bad magic).");
        }

        int version = (int)BinaryPrimitives.ReadUInt32BigEndian(cluster0[4..]);
        if (version is not (2 or 3))
        {
            throw new Qcow2FormatException($"Unsupported qcow2 version {version}.");
        }

        uint clusterBits = BinaryPrimitives.ReadUInt32BigEndian(cluster0[20..]);
        if (clusterBits < MinClusterBits || clusterBits > MaxClusterBits)
        {
            throw new Qcow2FormatException($"Unsupported cluster size: 2^{clusterBits} (must be 512 bytes to 2 MiB).");
        }

        var header = new Qcow2Header
        {
            Version = version,
            BackingFileOffset = BinaryPrimitives.ReadUInt64BigEndian(cluster0[8..]),
            BackingFileSize = (int)BinaryPrimitives.ReadUInt32BigEndian(cluster0[16..]),
            ClusterBits = (int)clusterBits,
            Size = (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(cluster0[24..]), long.MaxValue),
            CryptMethod = (int)BinaryPrimitives.ReadUInt32BigEndian(cluster0[32..]),
            L1Size = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(cluster0[36..]), int.MaxValue),
            L1TableOffset = (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(cluster0[40..]), long.MaxValue),
            RefcountTableOffset = (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(cluster0[48..]), long.MaxValue),
            RefcountTableClusters = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(cluster0[56..]), int.MaxValue),
            SnapshotCount = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(cluster0[60..]), int.MaxValue),
            SnapshotsOffset = (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(cluster0[64..]), long.MaxValue),
            HeaderLength = Version2Length,
        };

        if (version == 3)
        {
            if (cluster0.Length < Version3Length)
            {
                throw new Qcow2FormatException("Image is too short for a version 3 header.");
            }

            int headerLength = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(cluster0[100..]), int.MaxValue);
            if (headerLength < Version3Length || headerLength % 8 != 0 || headerLength > Math.Min(cluster0.Length, header.ClusterSize))
            {
                throw new Qcow2FormatException($"Invalid header length {headerLength}.");
            }

            uint refcountOrder = BinaryPrimitives.ReadUInt32BigEndian(cluster0[96..]);
            if (refcountOrder > 6)
            {
                throw new Qcow2FormatException($"Invalid refcount order {refcountOrder} (refcounts are 1 to 64 bits).");
            }

            header = header with
            {
                Incompatible = (IncompatibleFeatures)BinaryPrimitives.ReadUInt64BigEndian(cluster0[72..]),
                Compatible = BinaryPrimitives.ReadUInt64BigEndian(cluster0[80..]),
                Autoclear = BinaryPrimitives.ReadUInt64BigEndian(cluster0[88..]),
                RefcountOrder = (int)refcountOrder,
                HeaderLength = headerLength,
                CompressionType = headerLength > 104 ? cluster0[104] : 0,
                UnknownHeaderFields = headerLength > WrittenVersion3Length ? cluster0[WrittenVersion3Length..headerLength].ToArray() : [],
            };
        }

        header.Validate(fileLength);
        header = header with { Extensions = ParseExtensions(cluster0, header) };
        return header with { BackingFile = ParseBackingFile(cluster0, header) };
    }

    /// <summary>Serialises the header, its extensions and the backing file name into <paramref name="cluster0"/>.</summary>
    public void WriteTo(Span<byte> cluster0)
    {
        int headerLength = Version == 2 ? Version2Length : Math.Max(HeaderLength, WrittenVersion3Length);
        int needed = EncodedLength;
        if (needed > cluster0.Length || needed > ClusterSize)
        {
            throw new Qcow2FormatException("The header, its extensions and the backing file name do not fit in the first cluster.");
        }

        cluster0[..needed].Clear();
        BinaryPrimitives.WriteUInt32BigEndian(cluster0, Magic);
        BinaryPrimitives.WriteUInt32BigEndian(cluster0[4..], (uint)Version);
        BinaryPrimitives.WriteUInt32BigEndian(cluster0[20..], (uint)ClusterBits);
        BinaryPrimitives.WriteUInt64BigEndian(cluster0[24..], (ulong)Size);
        BinaryPrimitives.WriteUInt32BigEndian(cluster0[32..], (uint)CryptMethod);
        BinaryPrimitives.WriteUInt32BigEndian(cluster0[36..], (uint)L1Size);
        BinaryPrimitives.WriteUInt64BigEndian(cluster0[40..], (ulong)L1TableOffset);
        BinaryPrimitives.WriteUInt64BigEndian(cluster0[48..], (ulong)RefcountTableOffset);
        BinaryPrimitives.WriteUInt32BigEndian(cluster0[56..], (uint)RefcountTableClusters);
        BinaryPrimitives.WriteUInt32BigEndian(cluster0[60..], (uint)SnapshotCount);
        BinaryPrimitives.WriteUInt64BigEndian(cluster0[64..], (ulong)SnapshotsOffset);
        int position = headerLength;
        if (Version == 3)
        {
            BinaryPrimitives.WriteUInt64BigEndian(cluster0[72..], (ulong)Incompatible);
            BinaryPrimitives.WriteUInt64BigEndian(cluster0[80..], Compatible);
            BinaryPrimitives.WriteUInt64BigEndian(cluster0[88..], Autoclear);
            BinaryPrimitives.WriteUInt32BigEndian(cluster0[96..], (uint)RefcountOrder);
            BinaryPrimitives.WriteUInt32BigEndian(cluster0[100..], (uint)headerLength);
            cluster0[104] = (byte)CompressionType;
            UnknownHeaderFields.CopyTo(cluster0[WrittenVersion3Length..]);
        }

        foreach (var extension in Extensions)
        {
            BinaryPrimitives.WriteUInt32BigEndian(cluster0[position..], extension.Type);
            BinaryPrimitives.WriteUInt32BigEndian(cluster0[(position + 4)..], (uint)extension.Data.Length);
            extension.Data.CopyTo(cluster0[(position + 8)..]);
            position += extension.EncodedLength;
        }

        if (Version == 3 || Extensions.Count > 0)
        {
            position += 8; // end-of-extensions marker: type 0, length 0
        }

        if (BackingFile is { } backing)
        {
            int length = Encoding.UTF8.GetBytes(backing, cluster0[position..]);
            BinaryPrimitives.WriteUInt64BigEndian(cluster0[8..], (ulong)position);
            BinaryPrimitives.WriteUInt32BigEndian(cluster0[16..], (uint)length);
        }
    }

    /// <summary>Bytes the header needs in cluster 0.</summary>
    public int EncodedLength
    {
        get
        {
            int length = Version == 2 ? Version2Length : Math.Max(HeaderLength, WrittenVersion3Length);
            length += Extensions.Sum(e => e.EncodedLength);
            if (Version == 3 || Extensions.Count > 0)
            {
                length += 8;
            }

            return length + (BackingFile is null ? 0 : Encoding.UTF8.GetByteCount(BackingFile));
        }
    }

    /// <summary>Returns a copy with the extension of <paramref name="type"/> replaced, added (non-null data) or removed (null).</summary>
    public Qcow2Header WithExtension(uint type, byte[]? data)
    {
        var list = Extensions.Where(e => e.Type != type).ToList();
        if (data is not null)
        {
            // QEMU's order: backing format and data file name first; unknown ones keep their place.
            int index = type is HeaderExtension.BackingFormat or HeaderExtension.ExternalDataFile ? 0 : list.Count;
            list.Insert(index, new HeaderExtension(type, data));
        }

        return this with { Extensions = list };
    }

    private string? FindString(uint type) =>
        Extensions.FirstOrDefault(e => e.Type == type) is { } extension ? Encoding.UTF8.GetString(extension.Data) : null;

    private void Validate(long fileLength)
    {
        var unknown = Incompatible & ~IncompatibleFeatures.Known;
        if (unknown != 0)
        {
            throw new Qcow2FormatException($"Unsupported qcow2 feature(s): incompatible feature bits 0x{(ulong)unknown:x}.");
        }

        if (CryptMethod != 0)
        {
            throw new Qcow2FormatException(CryptMethod == 2
                ? "Encrypted images (LUKS) are not supported."
                : "Encrypted images (legacy AES) are not supported.");
        }

        if (Version == 2 && RefcountOrder != 4)
        {
            throw new Qcow2FormatException("Version 2 images must use 16-bit refcounts.");
        }

        if (HasExtendedL2 && ClusterBits < 14)
        {
            throw new Qcow2FormatException("Extended L2 entries need a cluster size of at least 16 KiB.");
        }

        if (CompressionType > 1 || ((CompressionType != 0) != ((Incompatible & IncompatibleFeatures.CompressionType) != 0)))
        {
            throw new Qcow2FormatException($"Invalid compression type {CompressionType} for the header's feature bits.");
        }

        if (Size < 0)
        {
            throw new Qcow2FormatException("Invalid virtual size.");
        }

        long clusterMask = ClusterSize - 1;
        if ((L1TableOffset & clusterMask) != 0 || (RefcountTableOffset & clusterMask) != 0 || (SnapshotsOffset & clusterMask) != 0)
        {
            throw new Qcow2FormatException("A table offset in the header is not cluster aligned.");
        }

        if (RefcountTableOffset == 0 || RefcountTableClusters == 0)
        {
            throw new Qcow2FormatException("The image has no refcount table.");
        }

        // QEMU's limits (block/qcow2.h): QCOW_MAX_REFTABLE_SIZE, QCOW_MAX_L1_SIZE, QCOW_MAX_SNAPSHOTS.
        if ((long)RefcountTableClusters * ClusterSize > Qcow2Limits.MaxRefcountTableBytes)
        {
            throw new Qcow2FormatException($"refcount_table_clusters {RefcountTableClusters} is beyond the limit of {Qcow2Limits.MaxRefcountTableBytes} bytes of refcount table.");
        }

        if ((long)L1Size * 8 > Qcow2Limits.MaxL1Bytes)
        {
            throw new Qcow2FormatException($"l1_size {L1Size} is beyond the limit of {Qcow2Limits.MaxL1Bytes / 8} entries.");
        }

        if (SnapshotCount > Qcow2Limits.MaxSnapshots)
        {
            throw new Qcow2FormatException($"nb_snapshots {SnapshotCount} is beyond the limit of {Qcow2Limits.MaxSnapshots}.");
        }

        if (SnapshotCount > 0 && (SnapshotsOffset == 0 || SnapshotsOffset >= fileLength))
        {
            throw new Qcow2FormatException($"snapshots_offset 0x{SnapshotsOffset:x} of {SnapshotCount} snapshot(s) lies outside the image file.");
        }

        // QEMU's size_to_l1 and "Image is too big": the L1 entries the virtual size needs, computed without overflow
        // (a size near 2^63 rounded up the obvious way wrapped negative and passed any L1 table).
        long l2Entries = ClusterSize / (HasExtendedL2 ? 16 : 8);
        long span = ClusterSize * l2Entries;
        long needed = (Size / span) + (Size % span == 0 ? 0 : 1);
        if (needed > int.MaxValue)
        {
            throw new Qcow2FormatException($"The virtual size ({Size} bytes) is too big for {ClusterSize}-byte clusters.");
        }

        if (L1Size < needed)
        {
            throw new Qcow2FormatException($"The L1 table ({L1Size} entries) is too small for the virtual size ({Size} bytes).");
        }

        if (L1TableOffset + ((long)L1Size * 8) > fileLength || RefcountTableOffset + ((long)RefcountTableClusters * ClusterSize) > fileLength)
        {
            throw new Qcow2FormatException(L1TableOffset + ((long)L1Size * 8) > fileLength
                ? $"The L1 table (l1_table_offset 0x{L1TableOffset:x}, l1_size {L1Size}) lies past the end of the image file."
                : $"The refcount table (refcount_table_offset 0x{RefcountTableOffset:x}, refcount_table_clusters {RefcountTableClusters}) lies past the end of the image file.");
        }

        // backing_file_size is unsigned on disk: a value above 2^31 reads as a negative int and must not pass as short.
        if (BackingFileOffset != 0 && ((uint)BackingFileSize > MaxBackingFileNameLength || BackingFileOffset > (ulong)ClusterSize || BackingFileOffset + (ulong)BackingFileSize > (ulong)ClusterSize))
        {
            throw new Qcow2FormatException("Invalid backing file name location.");
        }
    }

    private static List<HeaderExtension> ParseExtensions(ReadOnlySpan<byte> cluster0, Qcow2Header header)
    {
        var extensions = new List<HeaderExtension>();
        int end = (int)Math.Min(cluster0.Length, header.ClusterSize);
        if (header.BackingFileOffset != 0)
        {
            end = (int)Math.Min((ulong)end, header.BackingFileOffset);
        }

        int position = header.HeaderLength;
        while (position + 8 <= end)
        {
            uint type = BinaryPrimitives.ReadUInt32BigEndian(cluster0[position..]);
            int length = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(cluster0[(position + 4)..]), int.MaxValue);
            if (type == HeaderExtension.End)
            {
                break;
            }

            if (length > end - position - 8)
            {
                throw new Qcow2FormatException($"Header extension 0x{type:x8} runs past the end of the header cluster.");
            }

            if (extensions.Any(e => e.Type == type))
            {
                throw new Qcow2FormatException($"Header extension 0x{type:x8} appears twice.");
            }

            extensions.Add(new HeaderExtension(type, cluster0.Slice(position + 8, length).ToArray()));
            position += 8 + ((length + 7) & ~7);
        }

        return extensions;
    }

    private static string? ParseBackingFile(ReadOnlySpan<byte> cluster0, Qcow2Header header)
    {
        if (header.BackingFileOffset == 0 || header.BackingFileSize == 0)
        {
            return null;
        }

        if (header.BackingFileOffset + (ulong)header.BackingFileSize > (ulong)cluster0.Length)
        {
            throw new Qcow2FormatException("The backing file name lies past the end of the image file.");
        }

        return Encoding.UTF8.GetString(cluster0.Slice((int)header.BackingFileOffset, header.BackingFileSize));
    }
}
