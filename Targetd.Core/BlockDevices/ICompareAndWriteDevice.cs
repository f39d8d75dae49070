namespace Targetd.Core.BlockDevices;

/// <summary>
/// A block device that compares and writes a range as one atomic operation of its storage, so the operation is
/// atomic against every client of that storage and not only within this process: an RBD image served by several
/// gateways, say. SCSI's COMPARE AND WRITE (SBC-3 §5.2) uses it where the device accepts the range.
/// </summary>
public interface ICompareAndWriteDevice : IBlockDevice
{
    /// <summary>
    /// Whether <see cref="CompareAndWriteAsync"/> accepts <c>[offset, offset + length)</c>. A device may accept only
    /// some ranges (the librbd of Ceph 16 only a range within one 512-byte sector); callers handle the others their
    /// own way, knowing the device cannot make them atomic.
    /// </summary>
    /// <param name="offset">The byte offset of the range.</param>
    /// <param name="length">The length of the range in bytes.</param>
    bool CanCompareAndWrite(long offset, int length);

    /// <summary>
    /// The length in bytes of the longest range the device accepts wherever the range starts on a multiple of it
    /// (512 for the librbd of Ceph 16). SCSI reports the MAXIMUM COMPARE AND WRITE LENGTH from it, so that every
    /// COMPARE AND WRITE an initiator may send is one operation of the device.
    /// </summary>
    int CompareAndWriteLength { get; }

    /// <summary>
    /// Compares <paramref name="compare"/> with the device's bytes at <paramref name="offset"/> and, only if every
    /// byte matches, writes <paramref name="write"/> there, as one operation no other writer of the device can come
    /// between.
    /// </summary>
    /// <param name="offset">The byte offset of the range.</param>
    /// <param name="compare">The bytes expected; its length is the length of the range.</param>
    /// <param name="write">The bytes to write; as long as <paramref name="compare"/>.</param>
    /// <param name="cancellationToken">Honoured before the operation starts; once started it runs to its end.</param>
    /// <returns>
    /// -1 when the bytes matched and <paramref name="write"/> was written; otherwise the offset of the first
    /// differing byte, counted from <paramref name="offset"/>, and nothing was written.
    /// </returns>
    /// <exception cref="ArgumentException">The lengths differ, or <see cref="CanCompareAndWrite"/> refuses the range.</exception>
    /// <exception cref="NotSupportedException">The device is read-only.</exception>
    /// <exception cref="IOException">The device failed.</exception>
    ValueTask<long> CompareAndWriteAsync(long offset, ReadOnlyMemory<byte> compare, ReadOnlyMemory<byte> write, CancellationToken cancellationToken = default);
}
