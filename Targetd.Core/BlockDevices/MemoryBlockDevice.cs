namespace Targetd.Core.BlockDevices;

/// <summary>
/// A thin block device held in memory: storage is allocated in chunks on first write and released by
/// discard. Every operation is atomic with respect to the others. Meant for tests and scratch LUNs.
/// </summary>
public sealed class MemoryBlockDevice : IBlockDevice
{
    /// <summary>The allocation unit used when none is given.</summary>
    public const int DefaultChunkSize = 64 * 1024;

    private readonly Dictionary<long, byte[]> _chunks = [];
    private readonly Lock _gate = new();
    private readonly int _chunkSize;
    private bool _disposed;

    /// <summary>Creates a device of <paramref name="length"/> bytes that reads as zeroes.</summary>
    /// <param name="length">Capacity in bytes, a multiple of <paramref name="logicalBlockSize"/>.</param>
    /// <param name="logicalBlockSize">Logical block size in bytes, a power of two from 512 to 65536.</param>
    /// <param name="isReadOnly">Whether writes are refused.</param>
    /// <param name="chunkSize">Allocation unit, a power of two and a multiple of the block size.</param>
    public MemoryBlockDevice(long length, int logicalBlockSize = 512, bool isReadOnly = false, int chunkSize = DefaultChunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        BlockRange.ValidateBlockSize(logicalBlockSize, nameof(logicalBlockSize));

        if (chunkSize < logicalBlockSize || !int.IsPow2(chunkSize))
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSize), "The chunk size must be a power of two no smaller than the block size.");
        }

        if (length % logicalBlockSize != 0)
        {
            throw new ArgumentException("The length must be a multiple of the block size.", nameof(length));
        }

        Length = length;
        LogicalBlockSize = logicalBlockSize;
        IsReadOnly = isReadOnly;
        _chunkSize = chunkSize;
    }

    /// <inheritdoc />
    public long Length { get; }

    /// <inheritdoc />
    public int LogicalBlockSize { get; }

    /// <inheritdoc />
    public bool IsReadOnly { get; }

    /// <inheritdoc />
    public bool IsThin => true;

    /// <summary>The number of bytes of storage currently allocated.</summary>
    public long AllocatedBytes
    {
        get
        {
            lock (_gate)
            {
                return (long)_chunks.Count * _chunkSize;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        BlockRange.Validate(this, offset, destination.Length);
        var span = destination.Span;
        lock (_gate)
        {
            ThrowIfDisposed();
            for (int done = 0; done < span.Length;)
            {
                var (index, inChunk, count) = Locate(offset + done, span.Length - done);
                var target = span.Slice(done, count);
                if (_chunks.TryGetValue(index, out var chunk))
                {
                    chunk.AsSpan(inChunk, count).CopyTo(target);
                }
                else
                {
                    target.Clear();
                }

                done += count;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        BlockRange.EnsureWritable(this);
        BlockRange.Validate(this, offset, source.Length);
        var span = source.Span;
        lock (_gate)
        {
            ThrowIfDisposed();
            for (int done = 0; done < span.Length;)
            {
                var (index, inChunk, count) = Locate(offset + done, span.Length - done);
                if (!_chunks.TryGetValue(index, out var chunk))
                {
                    chunk = new byte[_chunkSize];
                    _chunks[index] = chunk;
                }

                span.Slice(done, count).CopyTo(chunk.AsSpan(inChunk, count));
                done += count;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ThrowIfDisposed();
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        BlockRange.EnsureWritable(this);
        BlockRange.Validate(this, offset, length);
        lock (_gate)
        {
            ThrowIfDisposed();
            for (long done = 0; done < length;)
            {
                var (index, inChunk, count) = Locate(offset + done, length - done);
                if (count == _chunkSize)
                {
                    _chunks.Remove(index);
                }
                else if (_chunks.TryGetValue(index, out var chunk))
                {
                    chunk.AsSpan(inChunk, count).Clear();
                }

                done += count;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask WriteZeroesAsync(long offset, long length, CancellationToken cancellationToken = default) =>
        DiscardAsync(offset, length, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<BlockExtent>> GetAllocatedExtentsAsync(long offset, long length, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        BlockRange.Validate(this, offset, length);
        var extents = new List<BlockExtent>();
        if (length == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<BlockExtent>>(extents);
        }

        long first = offset / _chunkSize;
        long last = (offset + length - 1) / _chunkSize;
        long[] indexes;
        lock (_gate)
        {
            ThrowIfDisposed();
            indexes = [.. _chunks.Keys.Where(i => i >= first && i <= last).Order()];
        }

        foreach (long index in indexes)
        {
            long start = Math.Max(offset, index * _chunkSize);
            long end = Math.Min(offset + length, (index + 1) * _chunkSize);
            if (extents.Count > 0 && extents[^1].End == start)
            {
                extents[^1] = extents[^1] with { Length = end - extents[^1].Offset };
            }
            else
            {
                extents.Add(new BlockExtent(start, end - start));
            }
        }

        return ValueTask.FromResult<IReadOnlyList<BlockExtent>>(extents);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _disposed = true;
            _chunks.Clear();
        }

        return ValueTask.CompletedTask;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>The chunk holding <paramref name="position"/>, the offset in it and how much of the rest fits.</summary>
    private (long Index, int OffsetInChunk, int Count) Locate(long position, long remaining)
    {
        long index = position / _chunkSize;
        int inChunk = (int)(position % _chunkSize);
        int count = (int)Math.Min(_chunkSize - inChunk, remaining);
        return (index, inChunk, count);
    }
}
