using Targetd.Core.BlockDevices;

namespace Targetd.Storage.Pools.Rbd;

/// <summary>
/// A block device over an open RBD image. Reads, writes, compare-and-writes, discards, write-zeroes and flushes
/// are librbd aio calls; many run at once and none blocks a thread. Allocation comes from rbd_diff_iterate2 (fast with the
/// object-map feature), run on a thread of its own.
/// </summary>
/// <remarks>
/// Spec (scale-out): "An IBlockDevice over an RBD image: concurrent async reads and writes, flush, discard
/// (UNMAP and WRITE SAME unmap reach RBD), allocation extents for GET LBA STATUS (diff iterate), buffers pinned
/// until their completion fires, no blocking of thread-pool threads." The connection disables librbd's cache,
/// so a write completed here is visible to every other client of the image at once.
/// <para>
/// Cancellation is honoured before an operation is submitted; once librbd owns a buffer, the operation runs
/// to its completion, because the caller may reuse the buffer as soon as the task ends.
/// </para>
/// <para>
/// Compare-and-write is rbd_aio_compare_and_write: librbd sends the compare (cmpext) and the write as one RADOS
/// operation to the object holding the range, so it is atomic against every gateway and client of the image. The
/// librbd of Ceph 16 (Pacific, Debian bookworm) accepts only a range within one 512-byte sector
/// (ImageCompareAndWriteRequest::prune_object_extents answers EINVAL otherwise; a range across two objects, at a
/// 4 MiB boundary, is one of those): with 512-byte logical blocks a one-block COMPARE AND WRITE, what VMware's
/// ATS and Linux send. <see cref="CanCompareAndWrite"/> refuses the others and the SCSI layer
/// compares and writes them itself: those are atomic within one gateway only. Splitting the range into
/// sector-sized compare-and-writes would not be atomic either, so it is not done.
/// </para>
/// </remarks>
internal sealed class RbdBlockDevice : ICompareAndWriteDevice, ISharedDeviceState, ISharedDeviceStateWatch
{
    /// <summary>The one sector librbd's compare-and-write may cover (Ceph 16's ImageCompareAndWriteRequest).</summary>
    internal const int CompareAndWriteSector = 512;

    private readonly IRbdImage _image;
    private readonly RbdSharedState? _shared;
    private int _disposed;

    /// <param name="image">The open image; the device disposes it.</param>
    /// <param name="length">The length exposed, a multiple of the block size.</param>
    /// <param name="readOnly">Whether writes are refused.</param>
    /// <param name="logicalBlockSize">The logical block size.</param>
    /// <param name="shared">Where the state gateways share for this image is kept; null keeps none (reads find it empty, writes fail).</param>
    public RbdBlockDevice(IRbdImage image, long length, bool readOnly, int logicalBlockSize = 512, RbdSharedState? shared = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        _image = image;
        _shared = shared;
        Length = length;
        IsReadOnly = readOnly;
        LogicalBlockSize = logicalBlockSize;
    }

    public long Length { get; }

    public int LogicalBlockSize { get; }

    public bool IsReadOnly { get; }

    public bool IsThin => true;

    public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        Validate(offset, destination.Length, cancellationToken);
        return destination.IsEmpty ? ValueTask.CompletedTask : new ValueTask(_image.ReadAsync(offset, destination));
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        EnsureWritable();
        Validate(offset, source.Length, cancellationToken);
        return source.IsEmpty ? ValueTask.CompletedTask : new ValueTask(_image.WriteAsync(offset, source));
    }

    /// <summary>
    /// Whether librbd takes the range: at most one 512-byte sector, so within one object. It must also start the
    /// sector, which makes the mismatch offset librbd reports exact (see <see cref="CompareAndWriteAsync"/>).
    /// </summary>
    public int CompareAndWriteLength => CompareAndWriteSector;

    /// <inheritdoc/>
    public bool CanCompareAndWrite(long offset, int length) =>
        offset >= 0 && offset % CompareAndWriteSector == 0 && length is > 0 and <= CompareAndWriteSector;

    /// <inheritdoc/>
    public async ValueTask<long> CompareAndWriteAsync(long offset, ReadOnlyMemory<byte> compare, ReadOnlyMemory<byte> write, CancellationToken cancellationToken = default)
    {
        EnsureWritable();
        Validate(offset, write.Length, cancellationToken);
        if (compare.Length != write.Length || !CanCompareAndWrite(offset, write.Length))
        {
            throw new ArgumentException($"librbd cannot compare and write {write.Length} bytes at {offset} against {compare.Length} bytes in one operation.", nameof(compare));
        }

        long mismatch = await _image.CompareAndWriteAsync(offset, compare, write).ConfigureAwait(false);

        // The librbd of Ceph 16.2 reports the start of the object plus the offset within the compared bytes, not the
        // image offset of the difference (at 8 MiB + 1040 a first byte differing reads 8 MiB). Objects, and the
        // sector this range starts, begin on a multiple of 512 bytes, so the offset within the range is the
        // remainder either way.
        return mismatch < 0 ? -1 : Math.Min(mismatch % CompareAndWriteSector, write.Length - 1);
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        return IsReadOnly ? ValueTask.CompletedTask : new ValueTask(_image.FlushAsync());
    }

    public ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken = default)
    {
        EnsureWritable();
        Validate(offset, length, cancellationToken);
        return length == 0 ? ValueTask.CompletedTask : new ValueTask(_image.DiscardAsync(offset, length));
    }

    public ValueTask WriteZeroesAsync(long offset, long length, CancellationToken cancellationToken = default)
    {
        EnsureWritable();
        Validate(offset, length, cancellationToken);
        return length == 0 ? ValueTask.CompletedTask : new ValueTask(_image.WriteZeroesAsync(offset, length));
    }

    public async ValueTask<IReadOnlyList<BlockExtent>> GetAllocatedExtentsAsync(long offset, long length, CancellationToken cancellationToken = default)
    {
        Validate(offset, length, cancellationToken);
        if (length == 0)
        {
            return [];
        }

        var extents = new List<BlockExtent>();
        await RbdBlocking.RunAsync(() => _image.DiffIterate(offset, length, (start, count, exists) => Add(extents, start, count, exists, offset, offset + length)), cancellationToken).ConfigureAwait(false);
        return extents;
    }

    /// <summary>The state the gateways serving this image share (reservations), in a RADOS object beside it.</summary>
    public ValueTask<SharedStateValue> ReadStateAsync(CancellationToken cancellationToken = default) =>
        _shared?.ReadStateAsync(cancellationToken) ?? ValueTask.FromResult(default(SharedStateValue));

    /// <inheritdoc/>
    public ValueTask<bool> TryWriteStateAsync(long sequence, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        _shared?.TryWriteStateAsync(sequence, content, cancellationToken) ?? throw new IOException("The image has no shared state.");

    /// <inheritdoc/>
    public void Watch(Func<CancellationToken, ValueTask> changed) => _shared?.Watch(changed);

    /// <inheritdoc/>
    public ValueTask<bool> AnnounceAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _shared?.AnnounceAsync(timeout, cancellationToken) ?? ValueTask.FromResult(true);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // rados_unwatch2 and rbd_close (which waits for in-flight I/O and flushes) block: off the thread pool.
            await RbdBlocking.RunAsync(
                () =>
                {
                    _shared?.Dispose();
                    _image.Dispose();
                },
                CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Adds an extent clipped to [start, end), merged with the previous one when they touch.</summary>
    private static void Add(List<BlockExtent> extents, long offset, long length, bool exists, long start, long end)
    {
        long from = Math.Max(offset, start);
        long to = Math.Min(offset + length, end);
        if (!exists || to <= from)
        {
            return;
        }

        if (extents.Count > 0 && extents[^1].End >= from)
        {
            var last = extents[^1];
            extents[^1] = new BlockExtent(last.Offset, Math.Max(last.End, to) - last.Offset);
            return;
        }

        extents.Add(new BlockExtent(from, to - from));
    }

    private void EnsureWritable()
    {
        if (IsReadOnly)
        {
            throw new NotSupportedException("The block device is read-only.");
        }
    }

    private void Validate(long offset, long length, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset > Length || length > Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"The range [{offset}, {offset + length}) lies past the end of the device ({Length} bytes).");
        }

        cancellationToken.ThrowIfCancellationRequested();
    }
}
