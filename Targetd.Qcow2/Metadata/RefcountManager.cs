using Targetd.Qcow2.Format;

namespace Targetd.Qcow2.Metadata;

/// <summary>
/// Host cluster accounting: the refcount table (kept whole in memory), refcount blocks (cached), allocation of
/// free clusters, growth of the table, and deferred frees. Every member runs under the image's metadata lock.
/// </summary>
/// <remarks>
/// Frees are deferred twice: a cluster whose last reference was dropped is released only after the metadata
/// that dropped it is durable (so a crash leaks it rather than corrupting the image), and only once every
/// data transfer that began before the free has ended (so a read in flight never sees the cluster reused).
/// </remarks>
internal sealed class RefcountManager
{
    private readonly HostFile _file;
    private readonly Qcow2Layout _layout;
    private readonly TableCache _blocks;
    private readonly List<(long Cluster, long Epoch)> _pendingFrees = [];
    private readonly List<long> _freesAwaitingDurability = [];
    private readonly InFlightEpochs _epochs;
    private ulong[] _table;
    private long _freeCursor;

    public RefcountManager(HostFile file, Qcow2Layout layout, long tableOffset, int tableClusters, ulong[] table, long cacheBytes, InFlightEpochs epochs)
    {
        _file = file;
        _layout = layout;
        _table = table;
        _epochs = epochs;
        TableOffset = tableOffset;
        TableClusters = tableClusters;
        HostEndCluster = (file.Length + layout.ClusterSize - 1) >> layout.ClusterBits;
        _blocks = new TableCache(file, layout.ClusterSize, cacheBytes, (offset, data, ct) => file.WriteAsync(offset, data, ct));
    }

    public long TableOffset { get; private set; }

    public int TableClusters { get; private set; }

    /// <summary>The refcount table must be written (and the header too if it moved).</summary>
    public bool TableDirty { get; private set; }

    public bool TableMoved { get; private set; }

    /// <summary>One past the highest host cluster in use or in the file.</summary>
    public long HostEndCluster { get; private set; }

    public bool HasDirtyBlocks => _blocks.HasDirty;

    /// <summary>Refcount block lookups served from the cache, and those that read the file.</summary>
    public (long Hits, long Misses) CacheLookups => (_blocks.Hits, _blocks.Misses);

    public int PendingFreeCount => _pendingFrees.Count + _freesAwaitingDurability.Count;

    public static ValueTask<ulong[]> ReadTableAsync(HostFile file, long offset, int clusters, int clusterSize, CancellationToken cancellationToken) =>
        TableCodec.ReadAsync(file, offset, (long)clusters * clusterSize / 8, cancellationToken);

    public async ValueTask<ulong> GetAsync(long cluster, CancellationToken cancellationToken)
    {
        long tableIndex = cluster / _layout.RefcountBlockEntries;
        if (tableIndex >= _table.Length)
        {
            return 0;
        }

        long blockOffset = (long)(_table[tableIndex] & L1Entry.OffsetMask);
        if (blockOffset == 0)
        {
            return 0;
        }

        var block = await _blocks.GetAsync(blockOffset, cancellationToken).ConfigureAwait(false);
        return RefcountBlock.Get(block, (int)(cluster % _layout.RefcountBlockEntries), _layout.RefcountOrder);
    }

    /// <summary>
    /// The indexes of the non-zero entries of the refcount block at <paramref name="blockOffset"/>, found by scanning its
    /// bytes (vectorised) rather than reading every entry.
    /// </summary>
    public async ValueTask<List<long>> NonZeroEntriesAsync(long blockOffset, CancellationToken cancellationToken)
    {
        var block = await _blocks.GetAsync(blockOffset, cancellationToken).ConfigureAwait(false);
        var found = new List<long>();
        int bits = _layout.RefcountBits;
        int position = 0;
        while (position < block.Length)
        {
            int next = block.AsSpan(position).IndexOfAnyExcept((byte)0);
            if (next < 0)
            {
                break;
            }

            int at = position + next;
            long firstEntry = at * 8L / bits;
            long lastEntry = ((at + 1) * 8L - 1) / bits;
            for (long entry = firstEntry; entry <= lastEntry; entry++)
            {
                if (RefcountBlock.Get(block, (int)entry, _layout.RefcountOrder) != 0 && (found.Count == 0 || found[^1] != entry))
                {
                    found.Add(entry);
                }
            }

            position = (int)Math.Max(at + 1, (lastEntry + 1) * bits / 8);
        }

        return found;
    }

    public async ValueTask SetAsync(long cluster, ulong value, CancellationToken cancellationToken)
    {
        if (value > _layout.MaxRefcount)
        {
            throw new Qcow2FormatException($"Refcount overflow on host cluster {cluster} ({_layout.RefcountBits}-bit refcounts).");
        }

        long blockOffset = await EnsureBlockAsync(cluster, cancellationToken).ConfigureAwait(false);
        var block = await _blocks.GetAsync(blockOffset, cancellationToken).ConfigureAwait(false);
        RefcountBlock.Set(block, (int)(cluster % _layout.RefcountBlockEntries), _layout.RefcountOrder, value);
        _blocks.MarkDirty(blockOffset);
        if (value != 0 && cluster >= HostEndCluster)
        {
            HostEndCluster = cluster + 1;
        }
        else if (value == 0 && cluster < _freeCursor)
        {
            _freeCursor = cluster;
        }
    }

    public async ValueTask IncrementAsync(long cluster, CancellationToken cancellationToken) =>
        await SetAsync(cluster, await GetAsync(cluster, cancellationToken).ConfigureAwait(false) + 1, cancellationToken).ConfigureAwait(false);

    /// <summary>Allocates <paramref name="count"/> contiguous free host clusters with refcount 1; returns the first one's offset.</summary>
    public async ValueTask<long> AllocateAsync(int count, CancellationToken cancellationToken)
    {
        long start = await FindFreeRunAsync(count, cancellationToken).ConfigureAwait(false);
        if (start + count > HostEndCluster)
        {
            HostEndCluster = start + count;
        }

        for (long c = start; c < start + count; c++)
        {
            await SetAsync(c, 1, cancellationToken).ConfigureAwait(false);
        }

        _freeCursor = Math.Max(_freeCursor, start + count);
        return start << _layout.ClusterBits;
    }

    /// <summary>
    /// Drops one reference to each host cluster in <c>[offset, offset + length)</c> once the metadata that dropped
    /// them is durable and no transfer that began before now is still running.
    /// </summary>
    public void QueueRelease(long offset, long length)
    {
        long first = offset >> _layout.ClusterBits;
        long last = (offset + length - 1) >> _layout.ClusterBits;
        for (long c = first; c <= last; c++)
        {
            _freesAwaitingDurability.Add(c);
        }
    }

    /// <summary>Called once the metadata written so far is durable: queued releases become eligible.</summary>
    public void MetadataIsDurable()
    {
        long epoch = _epochs.Advance();
        foreach (long cluster in _freesAwaitingDurability)
        {
            _pendingFrees.Add((cluster, epoch));
        }

        _freesAwaitingDurability.Clear();
    }

    /// <summary>Applies the releases whose earlier transfers have all ended; returns how many clusters were released.</summary>
    public async ValueTask<int> ApplyReadyReleasesAsync(CancellationToken cancellationToken)
    {
        long oldestActive = _epochs.OldestActive;
        int applied = 0;
        for (int i = 0; i < _pendingFrees.Count;)
        {
            var (cluster, epoch) = _pendingFrees[i];
            if (epoch < oldestActive)
            {
                ulong count = await GetAsync(cluster, cancellationToken).ConfigureAwait(false);
                if (count > 0)
                {
                    await SetAsync(cluster, count - 1, cancellationToken).ConfigureAwait(false);
                }

                _pendingFrees.RemoveAt(i);
                applied++;
            }
            else
            {
                i++;
            }
        }

        return applied;
    }

    /// <summary>Writes dirty refcount blocks, not the table; true if anything was written.</summary>
    public async ValueTask<bool> WriteBlocksAsync(CancellationToken cancellationToken) =>
        await _blocks.WriteDirtyAsync(cancellationToken).ConfigureAwait(false) > 0;

    /// <summary>Writes the refcount table if it changed; true if it was written.</summary>
    public async ValueTask<bool> WriteTableAsync(CancellationToken cancellationToken)
    {
        if (!TableDirty)
        {
            return false;
        }

        await _file.WriteAsync(TableOffset, TableCodec.Encode(_table, (long)TableClusters * _layout.ClusterSize), cancellationToken).ConfigureAwait(false);
        TableDirty = false;
        return true;
    }

    public void HeaderUpdated() => TableMoved = false;

    private async ValueTask<long> FindFreeRunAsync(int count, CancellationToken cancellationToken)
    {
        long c = _freeCursor;
        while (c < HostEndCluster && await GetAsync(c, cancellationToken).ConfigureAwait(false) != 0)
        {
            c++;
        }

        _freeCursor = c;
        long runStart = c;
        int run = 0;
        for (; c < HostEndCluster; c++)
        {
            if (await GetAsync(c, cancellationToken).ConfigureAwait(false) != 0)
            {
                run = 0;
                continue;
            }

            if (run == 0)
            {
                runStart = c;
            }

            if (++run == count)
            {
                return runStart;
            }
        }

        // A run that reaches the end continues into the space past it.
        return run > 0 ? runStart : HostEndCluster;
    }

    /// <summary>The offset of the refcount block covering <paramref name="cluster"/>, allocating it (and growing the table) if needed.</summary>
    private async ValueTask<long> EnsureBlockAsync(long cluster, CancellationToken cancellationToken)
    {
        long tableIndex = cluster / _layout.RefcountBlockEntries;
        if (tableIndex >= _table.Length)
        {
            await GrowTableAsync(tableIndex, cancellationToken).ConfigureAwait(false);
        }

        long blockOffset = (long)(_table[tableIndex] & L1Entry.OffsetMask);
        if (blockOffset != 0)
        {
            return blockOffset;
        }

        // Place the new block at the end of the host file; it describes itself when it falls in its own range.
        long blockCluster = Math.Max(HostEndCluster, cluster + 1);
        HostEndCluster = blockCluster + 1;
        blockOffset = blockCluster << _layout.ClusterBits;
        _table[tableIndex] = (ulong)blockOffset;
        TableDirty = true;
        await _blocks.CreateAsync(blockOffset, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        await SetAsync(blockCluster, 1, cancellationToken).ConfigureAwait(false);
        return blockOffset;
    }

    private async ValueTask GrowTableAsync(long neededIndex, CancellationToken cancellationToken)
    {
        long entries = Math.Max(neededIndex + 1, (long)_table.Length * 2);
        int clusters = (int)(((entries * 8) + _layout.ClusterSize - 1) / _layout.ClusterSize);
        // Room for the blocks describing the new table itself.
        clusters += 1;
        var grown = new ulong[(long)clusters * _layout.ClusterSize / 8];
        Array.Copy(_table, grown, _table.Length);
        long oldOffset = TableOffset;
        int oldClusters = TableClusters;
        long newFirst = HostEndCluster;
        HostEndCluster = newFirst + clusters;
        _table = grown;
        TableOffset = newFirst << _layout.ClusterBits;
        TableClusters = clusters;
        TableDirty = true;
        TableMoved = true;
        for (long c = newFirst; c < newFirst + clusters; c++)
        {
            await SetAsync(c, 1, cancellationToken).ConfigureAwait(false);
        }

        QueueRelease(oldOffset, (long)oldClusters << _layout.ClusterBits);
    }
}
