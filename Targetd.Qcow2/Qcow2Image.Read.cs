using System.Buffers;
using System.Buffers.Binary;
using Targetd.Core.BlockDevices;
using Targetd.Qcow2.Codecs;
using Targetd.Qcow2.Format;

namespace Targetd.Qcow2;

// Reading: cluster lookup through L1 and L2 (qcow2 spec, "Cluster mapping") and the read path.
public sealed partial class Qcow2Image
{
    /// <inheritdoc />
    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateRange(offset, destination.Length);
        long epoch = _epochs.Begin();
        try
        {
            while (!destination.IsEmpty)
            {
                long guestCluster = _layout.GuestCluster(offset);
                int inCluster = _layout.OffsetInCluster(offset);
                int count = Math.Min(_layout.ClusterSize - inCluster, destination.Length);
                var entry = await LookupAsync(guestCluster, cancellationToken).ConfigureAwait(false);
                await ReadClusterAsync(entry, guestCluster, inCluster, destination[..count], cancellationToken).ConfigureAwait(false);
                destination = destination[count..];
                offset += count;
            }
        }
        finally
        {
            _epochs.End(epoch);
        }
    }

    /// <summary>The L2 entry of a guest cluster, under the metadata lock.</summary>
    internal async ValueTask<L2Entry> LookupAsync(long guestCluster, CancellationToken cancellationToken)
    {
        await _meta.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await LookupLockedAsync(guestCluster, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _meta.Release();
        }
    }

    internal async ValueTask<L2Entry> LookupLockedAsync(long guestCluster, CancellationToken cancellationToken)
    {
        int l1Index = _layout.L1Index(guestCluster);
        if (l1Index >= _l1.Length)
        {
            return L2Entry.Unallocated;
        }

        long l2Offset = new L1Entry(_l1[l1Index]).L2Offset;
        if (l2Offset == 0)
        {
            return L2Entry.Unallocated;
        }

        var table = await _l2Cache.GetAsync(l2Offset, cancellationToken).ConfigureAwait(false);
        return ReadEntry(table, _layout.L2Index(guestCluster));
    }

    internal L2Entry ReadEntry(ReadOnlySpan<byte> table, int index)
    {
        int at = index * _layout.L2EntrySize;
        ulong raw = BinaryPrimitives.ReadUInt64BigEndian(table[at..]);
        ulong bitmap = _layout.ExtendedL2 ? BinaryPrimitives.ReadUInt64BigEndian(table[(at + 8)..]) : 0;
        return new L2Entry(raw, bitmap);
    }

    /// <summary>Reads part of one guest cluster described by <paramref name="entry"/>.</summary>
    internal async ValueTask ReadClusterAsync(L2Entry entry, long guestCluster, int inCluster, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (entry.IsCompressed)
        {
            await ReadCompressedAsync(entry, inCluster, destination, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!_layout.ExtendedL2)
        {
            await ReadRunAsync(KindOf(entry, 0), entry.HostOffset, guestCluster, inCluster, destination, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Extended L2: each subcluster is allocated, zero or unallocated; coalesce runs of the same kind.
        int done = 0;
        while (done < destination.Length)
        {
            int position = inCluster + done;
            var kind = SubclusterKind(entry, position / _layout.SubclusterSize);
            int runEnd = position;
            while (runEnd < inCluster + destination.Length && SubclusterKind(entry, runEnd / _layout.SubclusterSize) == kind)
            {
                runEnd = ((runEnd / _layout.SubclusterSize) + 1) * _layout.SubclusterSize;
            }

            int count = Math.Min(runEnd, inCluster + destination.Length) - position;
            await ReadRunAsync(kind, entry.HostOffset, guestCluster, position, destination.Slice(done, count), cancellationToken).ConfigureAwait(false);
            done += count;
        }
    }

    /// <summary>How a (sub)cluster of an uncompressed entry reads: from the host, as zeroes, or from the backing file.</summary>
    private RunKind KindOf(L2Entry entry, int subcluster) =>
        _layout.ExtendedL2 ? SubclusterKind(entry, subcluster)
        : entry.HasZeroFlag ? RunKind.Zero : entry.HostOffset != 0 ? RunKind.Data : RunKind.Backing;

    private static RunKind SubclusterKind(L2Entry entry, int subcluster)
    {
        uint bit = 1u << subcluster;
        if ((entry.AllocatedSubclusters & bit) != 0)
        {
            return RunKind.Data;
        }

        return (entry.ZeroSubclusters & bit) != 0 ? RunKind.Zero : RunKind.Backing;
    }

    private async ValueTask ReadRunAsync(RunKind kind, long hostOffset, long guestCluster, int inCluster, Memory<byte> destination, CancellationToken cancellationToken)
    {
        switch (kind)
        {
            case RunKind.Data:
                await _dataFile.ReadAsync(hostOffset + inCluster, destination, cancellationToken).ConfigureAwait(false);
                break;
            case RunKind.Backing when _backing is not null:
                await ReadBackingAsync((guestCluster << _layout.ClusterBits) + inCluster, destination, cancellationToken).ConfigureAwait(false);
                break;
            default:
                destination.Span.Clear();
                break;
        }
    }

    /// <summary>Reads from the backing file; whatever lies past its end reads as zeroes.</summary>
    private async ValueTask ReadBackingAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        long available = Math.Max(0, Math.Min(destination.Length, _backing!.Length - offset));
        if (available > 0)
        {
            await _backing.ReadAsync(offset, destination[..(int)available], cancellationToken).ConfigureAwait(false);
        }

        destination.Span[(int)available..].Clear();
    }

    private async ValueTask ReadCompressedAsync(L2Entry entry, int inCluster, Memory<byte> destination, CancellationToken cancellationToken)
    {
        long offset = entry.CompressedOffset(_layout.ClusterBits);
        int length = (entry.CompressedSectors(_layout.ClusterBits) * 512) - (int)(offset & 511);

        // qcow2 spec, "Compressed Clusters Descriptor": "x - 61: Number of additional 512-byte sectors used for the
        // compressed data, beyond the sector containing the offset indicated above." The field's width bounds the length
        // to two clusters; the data must also lie inside the file.
        if (offset + length > _file.Length + 511)
        {
            throw new InvalidDataException($"A compressed cluster descriptor (host offset 0x{offset:x}, {length} bytes) lies past the end of the image file.");
        }

        var compressed = new byte[length];
        await _file.ReadAsync(offset, compressed, cancellationToken).ConfigureAwait(false);
        var cluster = ArrayPool<byte>.Shared.Rent(_layout.ClusterSize);
        try
        {
            ClusterCompression.Decompress(_header.CompressionType, compressed, cluster.AsSpan(0, _layout.ClusterSize));
            cluster.AsSpan(inCluster, destination.Length).CopyTo(destination.Span);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(cluster);
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<BlockExtent>> GetAllocatedExtentsAsync(long offset, long length, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateRange(offset, length);
        var extents = new List<BlockExtent>();
        long end = offset + length;
        long position = offset;
        while (position < end)
        {
            long guestCluster = _layout.GuestCluster(position);
            int inCluster = _layout.OffsetInCluster(position);
            long count = Math.Min(_layout.ClusterSize - inCluster, end - position);
            int l1Index = _layout.L1Index(guestCluster);
            if (_backing is null && new L1Entry(_l1[l1Index]).L2Offset == 0)
            {
                // A whole L2 range with no table and no backing file: skip it at once.
                long rangeEnd = ((long)(l1Index + 1) * _layout.L2Entries) << _layout.ClusterBits;
                position = Math.Min(rangeEnd, end);
                continue;
            }

            var entry = await LookupAsync(guestCluster, cancellationToken).ConfigureAwait(false);
            await AddAllocatedAsync(extents, entry, guestCluster, inCluster, count, cancellationToken).ConfigureAwait(false);
            position += count;
        }

        return extents;
    }

    private async ValueTask AddAllocatedAsync(List<BlockExtent> extents, L2Entry entry, long guestCluster, int inCluster, long count, CancellationToken cancellationToken)
    {
        long start = (guestCluster << _layout.ClusterBits) + inCluster;
        if (entry.IsCompressed)
        {
            AddExtent(extents, start, count);
            return;
        }

        for (long done = 0; done < count;)
        {
            int position = inCluster + (int)done;
            int subcluster = position / _layout.SubclusterSize;
            var kind = KindOf(entry, subcluster);
            int run = (int)Math.Min(((subcluster + 1) * _layout.SubclusterSize) - position, count - done);
            if (kind == RunKind.Data)
            {
                AddExtent(extents, start + done, run);
            }
            else if (kind == RunKind.Backing && _backing is not null && start + done < _backing.Length)
            {
                long inBacking = Math.Min(run, _backing.Length - (start + done));
                foreach (var extent in await _backing.GetAllocatedExtentsAsync(start + done, inBacking, cancellationToken).ConfigureAwait(false))
                {
                    AddExtent(extents, extent.Offset, extent.Length);
                }
            }

            done += run;
        }
    }

    private static void AddExtent(List<BlockExtent> extents, long offset, long length)
    {
        if (extents.Count > 0 && extents[^1].End == offset)
        {
            extents[^1] = extents[^1] with { Length = extents[^1].Length + length };
        }
        else
        {
            extents.Add(new BlockExtent(offset, length));
        }
    }

    private void ValidateRange(long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset > Length || length > Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"The range [{offset}, {offset + length}) lies past the end of the image ({Length} bytes).");
        }
    }

    internal enum RunKind
    {
        Backing,
        Zero,
        Data,
    }
}
