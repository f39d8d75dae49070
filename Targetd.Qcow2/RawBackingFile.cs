using Targetd.Core.BlockDevices;
using Targetd.Qcow2.Metadata;

namespace Targetd.Qcow2;

/// <summary>A raw file used read-only as a backing file; bytes past its end read as zeroes.</summary>
internal sealed class RawBackingFile : IBlockDevice
{
    private readonly HostFile _file;

    private RawBackingFile(HostFile file) => _file = file;

    public long Length => _file.Length;

    public HostFile File => _file;

    public int LogicalBlockSize => 512;

    public bool IsReadOnly => true;

    public bool IsThin => false;

    public static RawBackingFile Open(string path, bool lockImage) => new(HostFile.Open(path, writable: false, lockImage: lockImage));

    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
        _file.ReadAsync(offset, destination, cancellationToken);

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("A backing file is read-only.");

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("A backing file is read-only.");

    public ValueTask WriteZeroesAsync(long offset, long length, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("A backing file is read-only.");

    public ValueTask<IReadOnlyList<BlockExtent>> GetAllocatedExtentsAsync(long offset, long length, CancellationToken cancellationToken = default)
    {
        long end = Math.Min(offset + length, Length);
        return ValueTask.FromResult<IReadOnlyList<BlockExtent>>(end > offset ? [new BlockExtent(offset, end - offset)] : []);
    }

    public ValueTask DisposeAsync()
    {
        _file.Dispose();
        return ValueTask.CompletedTask;
    }
}
