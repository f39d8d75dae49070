using System.Buffers.Binary;
using System.Text;
using Targetd.Qcow2.Format;
using Targetd.Qcow2.Metadata;

namespace Targetd.Qcow2;

// Creating images with QEMU's layout: the header in cluster 0, then the refcount table, the refcount blocks
// covering the metadata, and the L1 table.
public sealed partial class Qcow2Image
{
    /// <summary>Creates a new image (failing if the file exists) and opens it read-write.</summary>
    /// <exception cref="ArgumentException">An option is out of range or contradicts another.</exception>
    public static async Task<Qcow2Image> CreateAsync(string path, Qcow2CreateOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        var header = await BuildHeaderAsync(path, options, cancellationToken).ConfigureAwait(false);
        var layout = new Qcow2Layout(header.ClusterBits, header.RefcountOrder, header.HasExtendedL2);
        int clusterSize = layout.ClusterSize;
        long l1Clusters = Math.Max(1, ((header.L1Size * 8L) + clusterSize - 1) / clusterSize);

        // Fixed point: the refcount blocks and the table must cover themselves as well.
        long tableClusters = 1;
        long blocks = 1;
        while (true)
        {
            long total = 1 + tableClusters + blocks + l1Clusters;
            long neededBlocks = (total + layout.RefcountBlockEntries - 1) / layout.RefcountBlockEntries;
            long neededTable = ((neededBlocks * 8) + clusterSize - 1) / clusterSize;
            if (neededBlocks == blocks && neededTable == tableClusters)
            {
                break;
            }

            blocks = neededBlocks;
            tableClusters = neededTable;
        }

        long tableOffset = clusterSize;
        long blocksOffset = tableOffset + (tableClusters * clusterSize);
        long l1Offset = blocksOffset + (blocks * clusterSize);
        long totalClusters = 1 + tableClusters + blocks + l1Clusters;
        header = header with
        {
            RefcountTableOffset = tableOffset,
            RefcountTableClusters = (int)tableClusters,
            L1TableOffset = l1Offset,
        };

        using (var file = HostFile.Open(path, writable: true, createNew: true))
        {
            try
            {
                var table = new byte[tableClusters * clusterSize];
                for (long b = 0; b < blocks; b++)
                {
                    BinaryPrimitives.WriteUInt64BigEndian(table.AsSpan((int)(b * 8)), (ulong)(blocksOffset + (b * clusterSize)));
                }

                var refBlocks = new byte[blocks * clusterSize];
                for (long c = 0; c < totalClusters; c++)
                {
                    RefcountBlock.Set(refBlocks.AsSpan((int)(c / layout.RefcountBlockEntries * clusterSize), clusterSize), (int)(c % layout.RefcountBlockEntries), layout.RefcountOrder, 1);
                }

                var cluster0 = new byte[clusterSize];
                header.WriteTo(cluster0);
                file.SetLength(totalClusters * clusterSize);
                await file.WriteAsync(tableOffset, table, cancellationToken).ConfigureAwait(false);
                await file.WriteAsync(blocksOffset, refBlocks, cancellationToken).ConfigureAwait(false);
                await file.WriteAsync(0, cluster0, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                file.Dispose();
                System.IO.File.Delete(path);
                throw;
            }
        }

        var image = await OpenAsync(path, new Qcow2OpenOptions(), cancellationToken).ConfigureAwait(false);
        if (options.Preallocation == Qcow2Preallocation.Metadata)
        {
            await image.PreallocateMetadataAsync(cancellationToken).ConfigureAwait(false);
        }

        return image;
    }

    private static async Task<Qcow2Header> BuildHeaderAsync(string path, Qcow2CreateOptions options, CancellationToken cancellationToken)
    {
        if (options.Version is not (2 or 3))
        {
            throw new ArgumentException($"Invalid compat version {options.Version}: use 2 (0.10) or 3 (1.1).", nameof(options));
        }

        if (options.ClusterSize < 512 || options.ClusterSize > 2 * 1024 * 1024 || !int.IsPow2(options.ClusterSize))
        {
            throw new ArgumentException("Cluster size must be a power of two between 512 and 2048k.", nameof(options));
        }

        if (options.RefcountBits < 1 || options.RefcountBits > 64 || !int.IsPow2(options.RefcountBits))
        {
            throw new ArgumentException("Refcount width must be a power of two and may not exceed 64 bits.", nameof(options));
        }

        if (options.Version == 2 && (options.RefcountBits != 16 || options.ExtendedL2 || options.LazyRefcounts || options.CompressionType != Qcow2CompressionType.Zlib))
        {
            throw new ArgumentException("Version 2 (compat=0.10) images allow only 16-bit refcounts, no extended L2, no lazy refcounts and zlib compression.", nameof(options));
        }

        if (options.ExtendedL2 && options.ClusterSize < 16384)
        {
            throw new ArgumentException("Extended L2 entries are only supported with cluster sizes of at least 16384 bytes.", nameof(options));
        }

        if (!Enum.IsDefined(options.CompressionType))
        {
            throw new ArgumentException($"Unknown compression type {options.CompressionType}.", nameof(options));
        }

        if (!Enum.IsDefined(options.Preallocation))
        {
            throw new ArgumentException($"Unknown preallocation mode {options.Preallocation}.", nameof(options));
        }

        if (options.BackingFormat is { } format && !Enum.IsDefined(format))
        {
            throw new ArgumentException($"Unknown backing file format {format}.", nameof(options));
        }

        long? size = options.Size;
        string? backingFormat = options.BackingFormat switch { Qcow2BackingFormat.Qcow2 => "qcow2", Qcow2BackingFormat.Raw => "raw", _ => null };
        if (options.BackingFile is { } backing)
        {
            string backingPath = ResolveRelative(path, backing);
            if (!System.IO.File.Exists(backingPath))
            {
                throw new FileNotFoundException($"Could not open backing file '{backing}'.", backingPath);
            }

            if (backingFormat is null)
            {
                throw new ArgumentException("The backing file format must be given (-F) with a backing file.", nameof(options));
            }

            if (size is null)
            {
                var readOptions = new Qcow2OpenOptions { ReadOnly = true };
                await using var device = await OpenBackingAsync(backing, path, backingFormat, readOptions, new ChainGuard(readOptions.ChainPolicy), 1, cancellationToken).ConfigureAwait(false);
                size = device.Length;
            }
        }

        if (size is null or < 0)
        {
            throw new ArgumentException("The image size must be given and not negative.", nameof(options));
        }

        size = RoundUpToSector(size.Value, nameof(options));

        int clusterBits = System.Numerics.BitOperations.Log2((uint)options.ClusterSize);
        var layout = new Qcow2Layout(clusterBits, System.Numerics.BitOperations.Log2((uint)options.RefcountBits), options.ExtendedL2);
        long l1Size = layout.L1EntriesFor(size.Value);
        if (l1Size * 8 > 32L * 1024 * 1024)
        {
            throw new ArgumentException("The image size is too large for this cluster size.", nameof(options));
        }

        var header = new Qcow2Header
        {
            Version = options.Version,
            ClusterBits = clusterBits,
            Size = size.Value,
            L1Size = (int)l1Size,
            RefcountOrder = layout.RefcountOrder,
            HeaderLength = options.Version == 3 ? Qcow2Header.WrittenVersion3Length : Qcow2Header.Version2Length,
            Incompatible = (options.ExtendedL2 ? IncompatibleFeatures.ExtendedL2 : 0)
                | (options.CompressionType == Qcow2CompressionType.Zstd ? IncompatibleFeatures.CompressionType : 0),
            Compatible = options.LazyRefcounts ? 1UL : 0,
            CompressionType = (int)options.CompressionType,
            BackingFile = options.BackingFile,
        };
        if (options.BackingFile is not null && backingFormat is not null)
        {
            header = header.WithExtension(HeaderExtension.BackingFormat, Encoding.UTF8.GetBytes(backingFormat));
        }

        if (header.EncodedLength > options.ClusterSize)
        {
            throw new ArgumentException("The backing file name does not fit in the header cluster.", nameof(options));
        }

        return header;
    }

    /// <summary>Allocates every L2 table (preallocation=metadata) so that later writes only touch data.</summary>
    private async Task PreallocateMetadataAsync(CancellationToken cancellationToken)
    {
        await _meta.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (int i = 0; i < _l1.Length; i++)
            {
                if (new L1Entry(_l1[i]).L2Offset == 0)
                {
                    long offset = await _refcounts.AllocateAsync(1, cancellationToken).ConfigureAwait(false);
                    await _l2Cache.CreateAsync(offset, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
                    _l1[i] = L1Entry.For(offset, copied: true).Raw;
                    _l1Dirty = true;
                }
            }

            await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _meta.Release();
        }
    }
}
