using System.Buffers;
using Targetd.Qcow2.Codecs;
using Targetd.Qcow2.Format;

namespace Targetd.Qcow2;

// Compressed writes (qcow2 spec, "Compressed Clusters Descriptor"): whole clusters compressed with the image's
// compression type and packed back to back into host clusters; each host cluster counts one reference per
// compressed cluster touching it. With 1-bit refcounts every compressed cluster gets host clusters of its own.
public sealed partial class Qcow2Image
{
    private long _compressedCursor;

    /// <summary>
    /// Writes one whole guest cluster compressed (as <c>qemu-img convert -c</c> does); stores it uncompressed
    /// when compression does not make it smaller.
    /// </summary>
    /// <param name="offset">A cluster-aligned guest offset.</param>
    /// <param name="cluster">The cluster's content; shorter only for the last cluster of the disk.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async ValueTask WriteCompressedAsync(long offset, ReadOnlyMemory<byte> cluster, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        EnsureWritable();
        ValidateRange(offset, cluster.Length);
        if (_layout.OffsetInCluster(offset) != 0 || (cluster.Length != _layout.ClusterSize && offset + cluster.Length != Length))
        {
            throw new ArgumentException("Compressed writes take whole, cluster-aligned clusters.", nameof(offset));
        }

        if (!ReferenceEquals(_dataFile, _file))
        {
            throw new NotSupportedException("Images with an external data file cannot hold compressed clusters.");
        }

        var padded = ArrayPool<byte>.Shared.Rent(_layout.ClusterSize);
        byte[]? compressed;
        try
        {
            padded.AsSpan(0, _layout.ClusterSize).Clear();
            cluster.Span.CopyTo(padded);
            compressed = ClusterCompression.Compress(_header.CompressionType, padded.AsSpan(0, _layout.ClusterSize));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(padded);
        }

        if (compressed is null)
        {
            await WriteAsync(offset, cluster, cancellationToken).ConfigureAwait(false);
            return;
        }

        await TrackWriteAsync(offset, cluster.Length, cancellationToken).ConfigureAwait(false);
        long guestCluster = _layout.GuestCluster(offset);
        long epoch = _epochs.Begin();
        try
        {
            while (true)
            {
                var (wait, claim, old) = await ClaimAsync(guestCluster, _ => false, cancellationToken).ConfigureAwait(false);
                if (wait is not null)
                {
                    await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                try
                {
                    long host = await ReserveCompressedSpaceAsync(compressed.Length, cancellationToken).ConfigureAwait(false);
                    await _file.WriteAsync(host, compressed, cancellationToken).ConfigureAwait(false);
                    await _meta.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                    try
                    {
                        await SetEntryLockedAsync(guestCluster, L2Entry.Compressed(host, compressed.Length, _layout.ClusterBits), CancellationToken.None).ConfigureAwait(false);
                        _dataNeedsSyncBeforeMetadata = true;
                        ReleaseData(old);
                    }
                    finally
                    {
                        _meta.Release();
                    }
                }
                finally
                {
                    await ReleaseClaimAsync(guestCluster, claim!).ConfigureAwait(false);
                }

                return;
            }
        }
        finally
        {
            _epochs.End(epoch);
        }
    }

    /// <summary>Finds room for <paramref name="length"/> compressed bytes and counts the references to it.</summary>
    private async ValueTask<long> ReserveCompressedSpaceAsync(int length, CancellationToken cancellationToken)
    {
        await _meta.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            long cursor = _compressedCursor;
            long clusterEnd = _layout.ClusterOffset(cursor) + _layout.ClusterSize;
            if (cursor != 0 && _layout.RefcountBits > 1 && cursor + length <= clusterEnd)
            {
                // Shares the host cluster the previous compressed cluster ended in.
                await _refcounts.IncrementAsync(cursor >> _layout.ClusterBits, cancellationToken).ConfigureAwait(false);
                _compressedCursor = cursor + length == clusterEnd ? 0 : cursor + length;
                return cursor;
            }

            int clusters = (length + _layout.ClusterSize - 1) / _layout.ClusterSize;
            long start = await _refcounts.AllocateAsync(clusters, cancellationToken).ConfigureAwait(false);
            long end = start + length;
            _compressedCursor = _layout.OffsetInCluster(end) == 0 ? 0 : end;
            return start;
        }
        finally
        {
            _meta.Release();
        }
    }
}
