using Targetd.Core.BlockDevices;

namespace Targetd.Tests.Iscsi;

/// <summary>
/// A device that writes one block at a time and yields between blocks, so concurrent writes can interleave; a
/// discard waits for <see cref="DiscardGate"/> and a read for <see cref="ReadGate"/> when one is set.
/// </summary>
internal sealed class PiecewiseBlockDevice(MemoryBlockDevice inner) : IBlockDevice
{
    /// <summary>When set, discards wait until it completes.</summary>
    public TaskCompletionSource? DiscardGate { get; set; }

    /// <summary>When set, reads wait until it completes (or their cancellation).</summary>
    public TaskCompletionSource? ReadGate { get; set; }

    /// <summary>Completes when a read has begun waiting at <see cref="ReadGate"/>.</summary>
    public TaskCompletionSource ReadWaiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Length => inner.Length;

    public int LogicalBlockSize => inner.LogicalBlockSize;

    public bool IsReadOnly => inner.IsReadOnly;

    public bool IsThin => inner.IsThin;

    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (ReadGate is { } gate)
        {
            ReadWaiting.TrySetResult();
            await gate.Task.WaitAsync(cancellationToken);
        }

        await inner.ReadAsync(offset, destination, cancellationToken);
    }

    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        for (int done = 0; done < source.Length; done += LogicalBlockSize)
        {
            await Task.Yield();
            await inner.WriteAsync(offset + done, source.Slice(done, Math.Min(LogicalBlockSize, source.Length - done)), cancellationToken);
        }
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

    public async ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken = default)
    {
        if (DiscardGate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        await inner.DiscardAsync(offset, length, cancellationToken);
    }

    public ValueTask WriteZeroesAsync(long offset, long length, CancellationToken cancellationToken = default) =>
        inner.WriteZeroesAsync(offset, length, cancellationToken);

    public ValueTask<IReadOnlyList<BlockExtent>> GetAllocatedExtentsAsync(long offset, long length, CancellationToken cancellationToken = default) =>
        inner.GetAllocatedExtentsAsync(offset, length, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
