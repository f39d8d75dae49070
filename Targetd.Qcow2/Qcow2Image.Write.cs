using System.Buffers;
using System.Buffers.Binary;
using Targetd.Qcow2.Format;

namespace Targetd.Qcow2;

// Writing: in-place writes to clusters the active image owns alone (COPIED), and allocating writes that
// copy-on-write everything else. An allocating write claims its guest cluster so that concurrent writers to the
// same cluster wait for it, moves its data outside the metadata lock, then publishes the new L2 entry.
public sealed partial class Qcow2Image
{
    /// <inheritdoc />
    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        EnsureWritable();
        ValidateRange(offset, source.Length);
        await TrackWriteAsync(offset, source.Length, cancellationToken).ConfigureAwait(false);
        long epoch = _epochs.Begin();
        try
        {
            while (!source.IsEmpty)
            {
                long guestCluster = _layout.GuestCluster(offset);
                int inCluster = _layout.OffsetInCluster(offset);
                int count = Math.Min(_layout.ClusterSize - inCluster, source.Length);
                await WriteClusterAsync(guestCluster, inCluster, source[..count], cancellationToken).ConfigureAwait(false);
                source = source[count..];
                offset += count;
            }
        }
        finally
        {
            _epochs.End(epoch);
        }
    }

    /// <inheritdoc />
    public ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken = default) =>
        ZeroRangeAsync(offset, length, cancellationToken);

    /// <inheritdoc />
    public ValueTask WriteZeroesAsync(long offset, long length, CancellationToken cancellationToken = default) =>
        ZeroRangeAsync(offset, length, cancellationToken);

    private async ValueTask WriteClusterAsync(long guestCluster, int inCluster, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (wait, claim, entry) = await ClaimAsync(guestCluster, e => CanWriteInPlace(e, inCluster, data.Length), cancellationToken).ConfigureAwait(false);
            if (wait is not null)
            {
                await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (claim is null)
            {
                await _dataFile.WriteAsync(entry.HostOffset + inCluster, data, cancellationToken).ConfigureAwait(false);
                return;
            }

            try
            {
                await AllocatingWriteAsync(guestCluster, entry, inCluster, data, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await ReleaseClaimAsync(guestCluster, claim).ConfigureAwait(false);
            }

            return;
        }
    }

    /// <summary>
    /// Looks up a guest cluster. Returns a task to wait for when another operation holds it; no claim when
    /// <paramref name="canProceedUnclaimed"/> accepts the entry; else a claim the caller must release.
    /// </summary>
    private async ValueTask<(Task? Wait, TaskCompletionSource? Claim, L2Entry Entry)> ClaimAsync(long guestCluster, Func<L2Entry, bool> canProceedUnclaimed, CancellationToken cancellationToken)
    {
        await _meta.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_allocating.TryGetValue(guestCluster, out var busy))
            {
                return (busy.Task, null, default);
            }

            var entry = await LookupLockedAsync(guestCluster, cancellationToken).ConfigureAwait(false);
            if (canProceedUnclaimed(entry))
            {
                return (null, null, entry);
            }

            var claim = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _allocating[guestCluster] = claim;
            return (null, claim, entry);
        }
        finally
        {
            _meta.Release();
        }
    }

    private async ValueTask ReleaseClaimAsync(long guestCluster, TaskCompletionSource claim)
    {
        await _meta.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            _allocating.Remove(guestCluster);
        }
        finally
        {
            _meta.Release();
        }

        claim.SetResult();
    }

    private bool CanWriteInPlace(L2Entry entry, int inCluster, int count)
    {
        if (entry.IsCompressed || !entry.IsCopied || entry.HostOffset == 0)
        {
            return false;
        }

        if (!_layout.ExtendedL2)
        {
            return !entry.HasZeroFlag;
        }

        uint touched = SubclusterMask(inCluster, count);
        return (entry.AllocatedSubclusters & touched) == touched;
    }

    private uint SubclusterMask(int inCluster, int count)
    {
        int first = inCluster / _layout.SubclusterSize;
        int last = (inCluster + count - 1) / _layout.SubclusterSize;
        ulong mask = ((1UL << (last - first + 1)) - 1) << first;
        return (uint)mask;
    }

    private async ValueTask AllocatingWriteAsync(long guestCluster, L2Entry old, int inCluster, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        // A cluster the image owns alone (zero-allocated, or partly allocated subclusters) is reused in place.
        bool reuse = !old.IsCompressed && old.IsCopied && old.HostOffset != 0;
        long host;
        bool fresh;
        await _meta.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (reuse)
            {
                host = old.HostOffset;
                fresh = false;
            }
            else
            {
                long endBefore = _refcounts.HostEndCluster;
                host = await _refcounts.AllocateAsync(1, cancellationToken).ConfigureAwait(false);
                fresh = (host >> _layout.ClusterBits) >= endBefore && ReferenceEquals(_dataFile, _file);
            }
        }
        finally
        {
            _meta.Release();
        }

        if (fresh && await OldContentIsZeroAsync(old, guestCluster, cancellationToken).ConfigureAwait(false))
        {
            // Space never written before reads as zeroes: only the guest's bytes need to go down.
            await _dataFile.WriteAsync(host + inCluster, data, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var cluster = ArrayPool<byte>.Shared.Rent(_layout.ClusterSize);
            try
            {
                var buffer = cluster.AsMemory(0, _layout.ClusterSize);
                if (data.Length < _layout.ClusterSize)
                {
                    await ReadClusterAsync(old, guestCluster, 0, buffer, cancellationToken).ConfigureAwait(false);
                }

                data.CopyTo(buffer[inCluster..]);
                await _dataFile.WriteAsync(host, buffer, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(cluster);
            }
        }

        await _meta.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            var entry = L2Entry.Standard(host, copied: true, bitmap: _layout.ExtendedL2 ? L2Entry.AllSubclustersAllocated : 0);
            await SetEntryLockedAsync(guestCluster, entry, CancellationToken.None).ConfigureAwait(false);
            _dataNeedsSyncBeforeMetadata = true;
            if (!reuse)
            {
                ReleaseData(old);
            }
        }
        finally
        {
            _meta.Release();
        }
    }

    private async ValueTask<bool> OldContentIsZeroAsync(L2Entry old, long guestCluster, CancellationToken cancellationToken)
    {
        if (old.IsCompressed || old.HostOffset != 0)
        {
            return false;
        }

        if (_layout.ExtendedL2 ? old.ZeroSubclusters == uint.MaxValue : old.HasZeroFlag)
        {
            return true;
        }

        if (_backing is null)
        {
            return true;
        }

        long start = guestCluster << _layout.ClusterBits;
        if (start >= _backing.Length)
        {
            return true;
        }

        long length = Math.Min(_layout.ClusterSize, _backing.Length - start);
        return (await _backing.GetAllocatedExtentsAsync(start, length, cancellationToken).ConfigureAwait(false)).Count == 0;
    }

    /// <summary>Drops the image's reference to the data an old entry pointed at (deferred until durable).</summary>
    private void ReleaseData(L2Entry old)
    {
        if (old.IsCompressed)
        {
            long offset = old.CompressedOffset(_layout.ClusterBits);
            _refcounts.QueueRelease(offset & ~511L, old.CompressedSectors(_layout.ClusterBits) * 512L);
        }
        else if (old.HostOffset != 0 && ReferenceEquals(_dataFile, _file))
        {
            _refcounts.QueueRelease(old.HostOffset, _layout.ClusterSize);
        }
    }

    /// <summary>Stores an L2 entry, allocating the L2 table or copying a shared one first.</summary>
    private async ValueTask SetEntryLockedAsync(long guestCluster, L2Entry entry, CancellationToken cancellationToken)
    {
        int l1Index = _layout.L1Index(guestCluster);
        var l1 = new L1Entry(_l1[l1Index]);
        byte[] table;
        long tableOffset;
        if (l1.L2Offset == 0)
        {
            tableOffset = await _refcounts.AllocateAsync(1, cancellationToken).ConfigureAwait(false);
            table = await _l2Cache.CreateAsync(tableOffset, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            _l1[l1Index] = L1Entry.For(tableOffset, copied: true).Raw;
            _l1Dirty = true;
        }
        else if (!l1.IsCopied)
        {
            // The table is shared with a snapshot: the active image gets its own copy.
            var shared = await _l2Cache.GetAsync(l1.L2Offset, cancellationToken).ConfigureAwait(false);
            var copy = shared.ToArray();
            tableOffset = await _refcounts.AllocateAsync(1, cancellationToken).ConfigureAwait(false);
            table = await _l2Cache.CreateAsync(tableOffset, copy, cancellationToken).ConfigureAwait(false);
            _l1[l1Index] = L1Entry.For(tableOffset, copied: true).Raw;
            _l1Dirty = true;
            _refcounts.QueueRelease(l1.L2Offset, _layout.ClusterSize);
        }
        else
        {
            tableOffset = l1.L2Offset;
            table = await _l2Cache.GetAsync(tableOffset, cancellationToken).ConfigureAwait(false);
        }

        int at = _layout.L2Index(guestCluster) * _layout.L2EntrySize;
        BinaryPrimitives.WriteUInt64BigEndian(table.AsSpan(at), entry.Raw);
        if (_layout.ExtendedL2)
        {
            BinaryPrimitives.WriteUInt64BigEndian(table.AsSpan(at + 8), entry.Bitmap);
        }

        _l2Cache.MarkDirty(tableOffset);
    }

    private async ValueTask ZeroRangeAsync(long offset, long length, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        EnsureWritable();
        ValidateRange(offset, length);
        await TrackWriteAsync(offset, length, cancellationToken).ConfigureAwait(false);
        long end = offset + length;
        while (offset < end)
        {
            long guestCluster = _layout.GuestCluster(offset);
            int inCluster = _layout.OffsetInCluster(offset);
            long count = Math.Min(_layout.ClusterSize - inCluster, end - offset);
            bool wholeCluster = inCluster == 0 && (count == _layout.ClusterSize || offset + count == Length);
            if (!wholeCluster || !await TryZeroClusterAsync(guestCluster, cancellationToken).ConfigureAwait(false))
            {
                await WriteAsync(offset, new byte[count], cancellationToken).ConfigureAwait(false);
            }

            offset += count;
        }
    }

    /// <summary>Makes a whole guest cluster read as zeroes through its L2 entry; false where the format cannot.</summary>
    private async ValueTask<bool> TryZeroClusterAsync(long guestCluster, CancellationToken cancellationToken)
    {
        bool backingShows = _backing is not null && (guestCluster << _layout.ClusterBits) < _backing.Length;
        L2Entry zero;
        if (!backingShows)
        {
            zero = L2Entry.Unallocated;
        }
        else if (_header.Version < 3)
        {
            return false;
        }
        else
        {
            zero = _layout.ExtendedL2 ? new L2Entry(0, L2Entry.AllSubclustersZero) : new L2Entry(L2Entry.ZeroFlag);
        }

        while (true)
        {
            var (wait, claim, old) = await ClaimAsync(guestCluster, e => e == zero, cancellationToken).ConfigureAwait(false);
            if (wait is not null)
            {
                await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (claim is null)
            {
                return true;
            }

            try
            {
                await _meta.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                try
                {
                    bool noTable = new L1Entry(_l1[_layout.L1Index(guestCluster)]).L2Offset == 0;
                    if (!(noTable && zero == L2Entry.Unallocated))
                    {
                        await SetEntryLockedAsync(guestCluster, zero, CancellationToken.None).ConfigureAwait(false);
                    }

                    ReleaseData(old);
                }
                finally
                {
                    _meta.Release();
                }
            }
            finally
            {
                await ReleaseClaimAsync(guestCluster, claim).ConfigureAwait(false);
            }

            return true;
        }
    }

    private void EnsureWritable()
    {
        if (IsReadOnly)
        {
            throw new NotSupportedException($"'{Path}' is open read-only.");
        }
    }
}
