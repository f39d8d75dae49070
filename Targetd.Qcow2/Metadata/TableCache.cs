namespace Targetd.Qcow2.Metadata;

/// <summary>
/// A bounded write-back cache of cluster-sized metadata tables (L2 tables or refcount blocks), keyed by host
/// offset and evicted least-recently-used first. Not thread-safe: the image's metadata lock guards it.
/// </summary>
internal sealed class TableCache
{
    private readonly Dictionary<long, LinkedListNode<CachedTable>> _tables = [];
    private readonly LinkedList<CachedTable> _lru = new();
    private readonly HostFile _file;
    private readonly int _tableSize;
    private readonly int _capacity;
    private readonly Func<long, byte[], CancellationToken, ValueTask> _writeBack;
    private long _hits;
    private long _misses;

    /// <param name="file">Where the tables live.</param>
    /// <param name="tableSize">Bytes per table (the cluster size).</param>
    /// <param name="capacityBytes">Memory bound; at least four tables are always kept.</param>
    /// <param name="writeBack">Writes a dirty table that is being evicted, after whatever must precede it.</param>
    public TableCache(HostFile file, int tableSize, long capacityBytes, Func<long, byte[], CancellationToken, ValueTask> writeBack)
    {
        _file = file;
        _tableSize = tableSize;
        _capacity = (int)Math.Clamp(capacityBytes / tableSize, 4, int.MaxValue);
        _writeBack = writeBack;
    }

    public int Count => _tables.Count;

    public int Capacity => _capacity;

    public bool HasDirty => _lru.Any(t => t.Dirty);

    /// <summary>Lookups served from the cache (read without the lock by metrics: a stale value is fine).</summary>
    public long Hits => Volatile.Read(ref _hits);

    /// <summary>Lookups that read the table from the file.</summary>
    public long Misses => Volatile.Read(ref _misses);

    public async ValueTask<byte[]> GetAsync(long offset, CancellationToken cancellationToken)
    {
        if (_tables.TryGetValue(offset, out var node))
        {
            _hits++;
            Touch(node);
            return node.Value.Data;
        }

        _misses++;
        if (offset < 0 || offset + _tableSize > _file.Length)
        {
            throw new Qcow2FormatException($"Metadata table at offset 0x{offset:x} lies past the end of the image file.");
        }

        await MakeRoomAsync(cancellationToken).ConfigureAwait(false);
        var data = new byte[_tableSize];
        await _file.ReadAsync(offset, data, cancellationToken).ConfigureAwait(false);
        Insert(new CachedTable(offset, data) { Dirty = false });
        return data;
    }

    /// <summary>Adds a new table for a freshly allocated cluster, all zeroes or a copy of <paramref name="content"/>; it is dirty.</summary>
    public async ValueTask<byte[]> CreateAsync(long offset, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        Remove(offset);
        await MakeRoomAsync(cancellationToken).ConfigureAwait(false);
        var data = new byte[_tableSize];
        content.Span.CopyTo(data);
        Insert(new CachedTable(offset, data) { Dirty = true });
        return data;
    }

    public void MarkDirty(long offset)
    {
        if (_tables.TryGetValue(offset, out var node))
        {
            node.Value.Dirty = true;
        }
    }

    public void Remove(long offset)
    {
        if (_tables.Remove(offset, out var node))
        {
            _lru.Remove(node);
        }
    }

    /// <summary>Writes every dirty table (without flushing the file); returns how many were written.</summary>
    public async ValueTask<int> WriteDirtyAsync(CancellationToken cancellationToken)
    {
        int written = 0;
        foreach (var table in _lru.Where(t => t.Dirty).OrderBy(t => t.Offset).ToList())
        {
            await _file.WriteAsync(table.Offset, table.Data, cancellationToken).ConfigureAwait(false);
            table.Dirty = false;
            written++;
        }

        return written;
    }

    public void Clear()
    {
        _tables.Clear();
        _lru.Clear();
    }

    private async ValueTask MakeRoomAsync(CancellationToken cancellationToken)
    {
        while (_tables.Count >= _capacity && _lru.Last is { } victim)
        {
            if (victim.Value.Dirty)
            {
                await _writeBack(victim.Value.Offset, victim.Value.Data, cancellationToken).ConfigureAwait(false);
                victim.Value.Dirty = false;
            }

            // The write-back may have touched other tables; evict only if the victim is still the oldest.
            if (_lru.Last == victim && !victim.Value.Dirty)
            {
                _lru.RemoveLast();
                _tables.Remove(victim.Value.Offset);
            }
        }
    }

    private void Insert(CachedTable table) => _tables[table.Offset] = _lru.AddFirst(table);

    private void Touch(LinkedListNode<CachedTable> node)
    {
        if (node != _lru.First)
        {
            _lru.Remove(node);
            _lru.AddFirst(node);
        }
    }

    private sealed class CachedTable(long offset, byte[] data)
    {
        public long Offset { get; } = offset;
        public byte[] Data { get; } = data;
        public bool Dirty { get; set; }
    }
}
