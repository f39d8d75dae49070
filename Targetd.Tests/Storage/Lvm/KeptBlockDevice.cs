using Targetd.Core.BlockDevices;

namespace Targetd.Tests.Storage.Lvm;

/// <summary>A device handed out by the fake <c>/dev</c>: disposing it only marks it closed, the data stays.</summary>
internal sealed class KeptBlockDevice(IBlockDevice inner) : IBlockDevice
{
    public bool Disposed { get; private set; }

    public long Length => inner.Length;

    public int LogicalBlockSize => inner.LogicalBlockSize;

    public bool IsReadOnly => inner.IsReadOnly;

    public bool IsThin => inner.IsThin;

    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(offset, destination, cancellationToken);

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(offset, source, cancellationToken);

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

    public ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken = default) =>
        inner.DiscardAsync(offset, length, cancellationToken);

    public ValueTask WriteZeroesAsync(long offset, long length, CancellationToken cancellationToken = default) =>
        inner.WriteZeroesAsync(offset, length, cancellationToken);

    public ValueTask<IReadOnlyList<BlockExtent>> GetAllocatedExtentsAsync(long offset, long length, CancellationToken cancellationToken = default) =>
        inner.GetAllocatedExtentsAsync(offset, length, cancellationToken);

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}
