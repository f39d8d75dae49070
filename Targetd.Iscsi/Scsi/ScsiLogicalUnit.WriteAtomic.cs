using System.Buffers.Binary;

using Targetd.Iscsi.Scsi.Cdbs;

namespace Targetd.Iscsi.Scsi;

/// <content>
/// WRITE ATOMIC(16) (SBC-4 §5.48): the blocks are written by one device write while the device's read-modify-write
/// lock is held, so no COMPARE AND WRITE, ORWRITE or other atomic write sees or leaves a mix of old and new data.
/// Plain writes are not held back; over a raw file the kernel serialises overlapping buffered writes on its own.
/// </content>
internal sealed partial class ScsiLogicalUnit
{
    /// <summary>MAXIMUM ATOMIC TRANSFER LENGTH in bytes (Block Limits VPD page, bytes 44-47, in blocks there).</summary>
    internal const int MaxAtomicTransferBytes = 1024 * 1024;

    private int MaxAtomicTransferBlocks => MaxAtomicTransferBytes / BlockSize;

    private async ValueTask<ScsiResult> WriteAtomicAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        // CDB: byte 1 WRPROTECT/DPO/FUA, bytes 2-9 LBA, bytes 12-13 TRANSFER LENGTH, byte 14 GROUP NUMBER.
        var cdb = request.Cdb.Span;
        byte flags = cdb[1];
        long lba = new BlockCommandCdb(cdb).Lba;
        int blocks = BinaryPrimitives.ReadUInt16BigEndian(cdb[12..]);
        if ((flags & 0xE0) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 7)); // WRPROTECT: no protection information
        }

        if (blocks > MaxAtomicTransferBlocks)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(12));
        }

        if (CheckRange(lba, blocks) is { } range)
        {
            return ScsiResult.Check(range);
        }

        // "A TRANSFER LENGTH field set to zero specifies that no logical blocks shall be written. This condition shall
        // not be considered an error."
        if (blocks == 0)
        {
            return ScsiResult.Good();
        }

        if (IsWriteProtected)
        {
            return ScsiResult.Check(WriteProtectedSense);
        }

        // All or nothing: a data-out buffer shorter than the blocks is refused before anything is written.
        int length = blocks * BlockSize;
        if (request.DataOut.Length < length)
        {
            return ScsiResult.Check(Sense.InvalidFieldInInformationUnit());
        }

        await _device.ReadModifyWrite.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Medium.WriteAsync(lba * BlockSize, request.DataOut[..length], cancellationToken).ConfigureAwait(false);
            if ((flags & 0x08) != 0)
            {
                await Medium.FlushAsync(cancellationToken).ConfigureAwait(false); // FUA
            }
        }
        finally
        {
            _device.ReadModifyWrite.Release();
        }

        return ScsiResult.Good(length);
    }
}
