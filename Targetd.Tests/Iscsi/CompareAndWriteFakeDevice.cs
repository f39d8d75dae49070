using Targetd.Core.BlockDevices;

namespace Targetd.Tests.Iscsi;

/// <summary>
/// A memory device that compares and writes ranges itself (as an RBD image does), taking only those
/// <see cref="TakesRange"/> allows; it records the calls that reach it.
/// </summary>
internal sealed class CompareAndWriteFakeDevice(Func<long, int, bool> takesRange) : ICompareAndWriteDevice
{
    private readonly MemoryBlockDevice _inner = new(1 << 20);

    /// <summary>The calls in order: read, write, flush, compare-and-write, each with its offset.</summary>
    public List<string> Calls { get; } = [];

    public Func<long, int, bool> TakesRange { get; } = takesRange;

    public long Length => _inner.Length;

    public int LogicalBlockSize => _inner.LogicalBlockSize;

    public bool IsReadOnly { get; init; }

    public bool IsThin => false;

    /// <summary>What the device declares it takes wherever aligned; 0 declares nothing (the unit keeps its own limit).</summary>
    public int CompareAndWriteLength { get; init; }

    public bool CanCompareAndWrite(long offset, int length) => TakesRange(offset, length);

    public async ValueTask<long> CompareAndWriteAsync(long offset, ReadOnlyMemory<byte> compare, ReadOnlyMemory<byte> write, CancellationToken cancellationToken = default)
    {
        Calls.Add($"compare-and-write {offset} {compare.Length} {write.Length}");
        var current = new byte[compare.Length];
        await _inner.ReadAsync(offset, current, cancellationToken);
        int same = current.AsSpan().CommonPrefixLength(compare.Span);
        if (same < current.Length)
        {
            return same;
        }

        await _inner.WriteAsync(offset, write, cancellationToken);
        return -1;
    }

    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        Calls.Add($"read {offset}");
        return _inner.ReadAsync(offset, destination, cancellationToken);
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        Calls.Add($"write {offset}");
        return _inner.WriteAsync(offset, source, cancellationToken);
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        Calls.Add("flush");
        return ValueTask.CompletedTask;
    }

    public ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken = default) => _inner.DiscardAsync(offset, length, cancellationToken);

    public ValueTask WriteZeroesAsync(long offset, long length, CancellationToken cancellationToken = default) => _inner.WriteZeroesAsync(offset, length, cancellationToken);

    public ValueTask<IReadOnlyList<BlockExtent>> GetAllocatedExtentsAsync(long offset, long length, CancellationToken cancellationToken = default) =>
        _inner.GetAllocatedExtentsAsync(offset, length, cancellationToken);

    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
