using Targetd.Qcow2.Format;
using Targetd.Qcow2.Metadata;

namespace Targetd.Qcow2;

// Changing the virtual size: growing moves the L1 table when it must grow; shrinking drops the tail.
public sealed partial class Qcow2Image
{
    /// <summary>
    /// Sets the virtual size to <paramref name="newSize"/> bytes, rounded up to a multiple of 512 (as
    /// <see cref="CreateAsync"/> rounds a new image's size).
    /// </summary>
    /// <exception cref="ArgumentException">The size is negative or too large, or smaller without <paramref name="allowShrink"/>.</exception>
    /// <exception cref="Qcow2FormatException">The image has internal snapshots or persistent bitmaps.</exception>
    public async Task ResizeAsync(long newSize, bool allowShrink = false, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        EnsureWritable();
        newSize = RoundUpToSector(newSize, nameof(newSize));

        if (newSize < Length && !allowShrink)
        {
            throw new ArgumentException("Use the --shrink option to perform a shrink operation.", nameof(newSize));
        }

        if (_header.SnapshotCount > 0)
        {
            throw new Qcow2FormatException("Can't resize an image which has snapshots.");
        }

        if (_header.Extensions.Any(e => e.Type == HeaderExtension.Bitmaps))
        {
            throw new Qcow2FormatException("Can't resize an image with persistent bitmaps.");
        }

        long needed = _layout.L1EntriesFor(newSize);
        if (needed * 8 > 32L * 1024 * 1024)
        {
            throw new ArgumentException("The new size is too large for this cluster size.", nameof(newSize));
        }

        if (newSize < Length)
        {
            await ShrinkDataAsync(newSize, cancellationToken).ConfigureAwait(false);
        }

        await _meta.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (needed > _l1.Length)
            {
                await GrowL1LockedAsync((int)needed, cancellationToken).ConfigureAwait(false);
            }

            _header = _header with { Size = newSize };
            _headerDirty = true;
            await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _meta.Release();
        }
    }

    private async Task ShrinkDataAsync(long newSize, CancellationToken cancellationToken)
    {
        // The partial cluster at the new end keeps only what lies below it.
        long tailCluster = _layout.ClusterOffset(newSize);
        if (tailCluster != newSize)
        {
            long end = Math.Min(tailCluster + _layout.ClusterSize, Length);
            await WriteAsync(newSize, new byte[end - newSize], cancellationToken).ConfigureAwait(false);
        }

        long firstDropped = (newSize + _layout.ClusterSize - 1) >> _layout.ClusterBits;
        long lastCluster = (Length + _layout.ClusterSize - 1) >> _layout.ClusterBits;
        await _meta.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (long guestCluster = firstDropped; guestCluster < lastCluster; guestCluster++)
            {
                if (new L1Entry(_l1[_layout.L1Index(guestCluster)]).L2Offset == 0)
                {
                    guestCluster = ((long)(_layout.L1Index(guestCluster) + 1) * _layout.L2Entries) - 1;
                    continue;
                }

                var entry = await LookupLockedAsync(guestCluster, cancellationToken).ConfigureAwait(false);
                if (entry != L2Entry.Unallocated)
                {
                    await SetEntryLockedAsync(guestCluster, L2Entry.Unallocated, cancellationToken).ConfigureAwait(false);
                    ReleaseData(entry);
                }
            }
        }
        finally
        {
            _meta.Release();
        }
    }

    private async Task GrowL1LockedAsync(int entries, CancellationToken cancellationToken)
    {
        int clusters = (int)(((entries * 8L) + _layout.ClusterSize - 1) / _layout.ClusterSize);
        long offset = await _refcounts.AllocateAsync(clusters, cancellationToken).ConfigureAwait(false);
        var grown = new ulong[entries];
        Array.Copy(_l1, grown, _l1.Length);
        await _file.WriteAsync(offset, TableCodec.Encode(grown), cancellationToken).ConfigureAwait(false);
        await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
        long oldOffset = _header.L1TableOffset;
        long oldBytes = Math.Max(1, _l1.Length * 8L);
        _l1 = grown;
        _header = _header with { L1TableOffset = offset, L1Size = entries };
        await WriteHeaderAsync(cancellationToken).ConfigureAwait(false);
        await SyncMetadataAsync(cancellationToken).ConfigureAwait(false);
        _refcounts.QueueRelease(oldOffset, oldBytes);
    }
}
