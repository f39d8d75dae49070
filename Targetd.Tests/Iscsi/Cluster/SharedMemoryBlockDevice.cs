using Targetd.Core.BlockDevices;

namespace Targetd.Tests.Iscsi.Cluster;

/// <summary>One gateway's view of a disk several gateways serve: shared memory and shared state.</summary>
internal sealed class SharedMemoryBlockDevice(MemoryBlockDevice medium, ISharedDeviceState state) : IBlockDevice, ISharedDeviceState, ISharedDeviceStateWatch
{
    public long Length => medium.Length;

    public int LogicalBlockSize => medium.LogicalBlockSize;

    public bool IsReadOnly => medium.IsReadOnly;

    public bool IsThin => medium.IsThin;

    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
        medium.ReadAsync(offset, destination, cancellationToken);

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
        medium.WriteAsync(offset, source, cancellationToken);

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => medium.FlushAsync(cancellationToken);

    public ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken = default) =>
        medium.DiscardAsync(offset, length, cancellationToken);

    public ValueTask WriteZeroesAsync(long offset, long length, CancellationToken cancellationToken = default) =>
        medium.WriteZeroesAsync(offset, length, cancellationToken);

    public ValueTask<IReadOnlyList<BlockExtent>> GetAllocatedExtentsAsync(long offset, long length, CancellationToken cancellationToken = default) =>
        medium.GetAllocatedExtentsAsync(offset, length, cancellationToken);

    public ValueTask<SharedStateValue> ReadStateAsync(CancellationToken cancellationToken = default) => state.ReadStateAsync(cancellationToken);

    public ValueTask<bool> TryWriteStateAsync(long sequence, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        state.TryWriteStateAsync(sequence, content, cancellationToken);

    public void Watch(Func<CancellationToken, ValueTask> changed) => (state as ISharedDeviceStateWatch)?.Watch(changed);

    public ValueTask<bool> AnnounceAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        (state as ISharedDeviceStateWatch)?.AnnounceAsync(timeout, cancellationToken) ?? ValueTask.FromResult(true);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
