namespace Targetd.Core.BlockDevices;

/// <summary>
/// An offset-addressed block device: the contract every volume, image and LUN backing store implements.
/// </summary>
/// <remarks>
/// <para>
/// Offsets and lengths are in bytes and need not be aligned to <see cref="LogicalBlockSize"/>; callers that
/// speak in blocks (a SCSI target) convert. Every range must lie within <c>[0, Length)</c>: a range that runs
/// past the end throws <see cref="ArgumentOutOfRangeException"/> and transfers nothing.
/// </para>
/// <para>
/// Implementations are safe for many concurrent operations. Once a write's task completes, a later read
/// returns the written data; once <see cref="FlushAsync"/> completes, every write completed before it was
/// called is durable. After <see cref="DiscardAsync"/> or <see cref="WriteZeroesAsync"/> the range reads
/// as zeroes. Concurrent operations on overlapping ranges are unordered, as for a disk: a read that runs
/// beside a write to the same range may return either content, or a mix of them.
/// </para>
/// </remarks>
public interface IBlockDevice : IAsyncDisposable
{
    /// <summary>The capacity in bytes.</summary>
    long Length { get; }

    /// <summary>The logical block size in bytes (512 or 4096 as a rule).</summary>
    int LogicalBlockSize { get; }

    /// <summary>Whether writes are refused.</summary>
    bool IsReadOnly { get; }

    /// <summary>Whether storage is allocated on first write and returned by <see cref="DiscardAsync"/>.</summary>
    bool IsThin { get; }

    /// <summary>Reads <paramref name="destination"/>.Length bytes starting at <paramref name="offset"/>.</summary>
    ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default);

    /// <summary>Writes <paramref name="source"/> starting at <paramref name="offset"/>.</summary>
    /// <exception cref="NotSupportedException">The device is read-only.</exception>
    ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default);

    /// <summary>Makes every write completed before this call durable.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases the storage behind a range (SCSI UNMAP). The range reads as zeroes afterwards; a device that
    /// cannot release storage writes zeroes instead.
    /// </summary>
    ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken = default);

    /// <summary>Makes a range read as zeroes, without transferring a buffer of zeroes where the device can.</summary>
    ValueTask WriteZeroesAsync(long offset, long length, CancellationToken cancellationToken = default);

    /// <summary>
    /// The allocated extents that intersect <c>[offset, offset + length)</c>, clipped to it, in ascending order.
    /// Ranges not listed are unallocated and read as zeroes. A device that is not thin reports the whole range.
    /// </summary>
    ValueTask<IReadOnlyList<BlockExtent>> GetAllocatedExtentsAsync(long offset, long length, CancellationToken cancellationToken = default);
}
