using System.Buffers;
using System.Buffers.Binary;

using Targetd.Iscsi.Scsi.Cdbs;

namespace Targetd.Iscsi.Scsi;

/// <content>
/// COMPARE AND WRITE (SBC-3 §5.2), ORWRITE(16) (SBC-3 §5.14) and PRE-FETCH(10)/(16) (SBC-3 §5.9, §5.10).
/// The read-modify-write commands hold the device's read-modify-write lock (shared by every view of it) from the read to the write, so two of
/// them on the same blocks never interleave ("the device server shall ... perform the compare and write operation
/// as an uninterrupted series of actions", SBC-3 §5.2).
/// </content>
internal sealed partial class ScsiLogicalUnit
{
    /// <summary>The MAXIMUM COMPARE AND WRITE LENGTH reported in the Block Limits VPD page, in blocks.</summary>
    internal const int MaxCompareAndWriteBlocks = 255;

    private async ValueTask<ScsiResult> CompareAndWriteAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        // CDB: byte 1 WRPROTECT/DPO/FUA, bytes 2-9 LBA, byte 13 NUMBER OF LOGICAL BLOCKS.
        var cdb = request.Cdb.Span;
        byte flags = cdb[1];
        long lba = new BlockCommandCdb(cdb).Lba;
        int blocks = cdb[13];
        if ((flags & 0xE0) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 7)); // WRPROTECT: no protection information
        }

        if (blocks > MaxCompareAndWriteBlocks)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(13));
        }

        if (CheckRange(lba, blocks) is { } range)
        {
            return ScsiResult.Check(range);
        }

        // The Data-Out buffer holds the verify instance then the write instance: exactly twice the blocks (a data
        // transfer that does not match the field, as when 256 blocks wrap the one-byte field to 0, is refused).
        int length = blocks * BlockSize;
        if (request.DataOut.Length != 2 * length)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(13));
        }

        // "A NUMBER OF LOGICAL BLOCKS field set to zero specifies that no ... operations shall be performed. This
        // condition shall not be considered an error."
        if (blocks == 0)
        {
            return ScsiResult.Good();
        }

        if (IsWriteProtected)
        {
            return ScsiResult.Check(WriteProtectedSense);
        }

        var verify = request.DataOut[..length];
        var write = request.DataOut[length..];
        byte[] medium = ArrayPool<byte>.Shared.Rent(length);
        await _device.ReadModifyWrite.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Medium.ReadAsync(lba * BlockSize, medium.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            int differs = medium.AsSpan(0, length).CommonPrefixLength(verify.Span);
            if (differs < length)
            {
                // MISCOMPARE with the offset of the first differing byte in INFORMATION; nothing is written.
                return ScsiResult.Check(Sense.MiscompareDuringVerify((uint)differs));
            }

            await Medium.WriteAsync(lba * BlockSize, write, cancellationToken).ConfigureAwait(false);
            if ((flags & 0x08) != 0)
            {
                await Medium.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _device.ReadModifyWrite.Release();
            ArrayPool<byte>.Shared.Return(medium);
        }

        return ScsiResult.Good(2L * length);
    }

    private async ValueTask<ScsiResult> OrWriteAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        var (lba, blocks, flags) = new BlockCommandCdb(request.Cdb.Span);
        if ((flags & 0xE0) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 7)); // ORPROTECT: no protection information
        }

        if (blocks > MaxTransferBlocks)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(10));
        }

        if (CheckRange(lba, blocks) is { } range)
        {
            return ScsiResult.Check(range);
        }

        if (blocks == 0)
        {
            return ScsiResult.Good();
        }

        if (IsWriteProtected)
        {
            return ScsiResult.Check(WriteProtectedSense);
        }

        int length = (int)blocks * BlockSize;
        if (request.DataOut.Length < length)
        {
            return ScsiResult.Check(Sense.InvalidFieldInInformationUnit());
        }

        byte[] medium = ArrayPool<byte>.Shared.Rent(length);
        await _device.ReadModifyWrite.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var merged = medium.AsMemory(0, length);
            await Medium.ReadAsync(lba * BlockSize, merged, cancellationToken).ConfigureAwait(false);

            // SBC-3 §5.14: "the device server shall perform a bitwise OR of the data-out buffer with the logical block data".
            var target = merged.Span;
            var source = request.DataOut.Span[..length];
            for (int i = 0; i < target.Length; i++)
            {
                target[i] |= source[i];
            }

            await Medium.WriteAsync(lba * BlockSize, merged, cancellationToken).ConfigureAwait(false);
            if ((flags & 0x08) != 0)
            {
                await Medium.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _device.ReadModifyWrite.Release();
            ArrayPool<byte>.Shared.Return(medium);
        }

        return ScsiResult.Good(length);
    }

    /// <summary>
    /// PRE-FETCH: the blocks are checked against the capacity and nothing else is done, since the unit keeps no cache
    /// of its own; GOOD tells the initiator the blocks were not placed in a cache (SBC-3 §5.9 "CONDITION MET" is only
    /// for blocks that were).
    /// </summary>
    private ScsiResult PreFetch(ScsiRequest request)
    {
        var (lba, blocks, _) = new BlockCommandCdb(request.Cdb.Span);
        return CheckRange(lba, blocks) is { } range ? ScsiResult.Check(range) : ScsiResult.Good();
    }
}
