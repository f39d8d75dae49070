using System.Buffers;
using System.Buffers.Binary;

using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi.Cdbs;

namespace Targetd.Iscsi.Scsi;

/// <content>
/// COMPARE AND WRITE (SBC-3 §5.2), ORWRITE(16) (SBC-3 §5.14) and PRE-FETCH(10)/(16) (SBC-3 §5.9, §5.10).
/// The read-modify-write commands hold the device's read-modify-write lock (shared by every view of it) from the read to the write, so two of
/// them on the same blocks never interleave ("the device server shall ... perform the compare and write operation
/// as an uninterrupted series of actions", SBC-3 §5.2). COMPARE AND WRITE on a medium that is an
/// <see cref="ICompareAndWriteDevice"/> is also one operation of the medium's storage, so it stays uninterrupted
/// when other gateways serve the same storage; a range the medium does not accept is atomic within this process only.
/// </content>
internal sealed partial class ScsiLogicalUnit
{
    /// <summary>The largest MAXIMUM COMPARE AND WRITE LENGTH reported in the Block Limits VPD page, in blocks.</summary>
    internal const int MaxCompareAndWriteBlocks = 255;

    /// <summary>
    /// The MAXIMUM COMPARE AND WRITE LENGTH of this unit, in blocks: what a medium that compares and writes itself
    /// accepts (so every COMPARE AND WRITE is atomic across the gateways serving it; LIO reports 1 block too), else
    /// <see cref="MaxCompareAndWriteBlocks"/>.
    /// </summary>
    internal int CompareAndWriteBlocks =>
        Medium is ICompareAndWriteDevice { CompareAndWriteLength: var bytes } && bytes >= BlockSize
            ? Math.Min(MaxCompareAndWriteBlocks, bytes / BlockSize)
            : MaxCompareAndWriteBlocks;

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

        if (blocks > CompareAndWriteBlocks)
        {
            // SBC-3 §5.2: more blocks than the MAXIMUM COMPARE AND WRITE LENGTH is an invalid field in the CDB.
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
        long offset = lba * BlockSize;
        await _device.ReadModifyWrite.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A medium that compares and writes as one operation of its storage (an RBD image) makes the command
            // atomic against every gateway serving it; the lock still orders it against ORWRITE and WRITE ATOMIC here.
            long differs = Medium is ICompareAndWriteDevice device && device.CanCompareAndWrite(offset, length)
                ? await device.CompareAndWriteAsync(offset, verify, write, cancellationToken).ConfigureAwait(false)
                : await CompareThenWriteAsync(offset, verify, write, cancellationToken).ConfigureAwait(false);
            if (differs >= 0)
            {
                // MISCOMPARE with the offset of the first differing byte in INFORMATION; nothing is written.
                return ScsiResult.Check(Sense.MiscompareDuringVerify((uint)differs));
            }

            if ((flags & 0x08) != 0)
            {
                await Medium.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _device.ReadModifyWrite.Release();
        }

        return ScsiResult.Good(2L * length);
    }

    /// <summary>
    /// COMPARE AND WRITE in this process: reads the blocks, compares them with the verify instance and writes the
    /// write instance when they match. Atomic only under the device's read-modify-write lock, so against this
    /// process's commands and not another gateway's.
    /// </summary>
    /// <returns>-1 when it wrote; otherwise the offset of the first differing byte within the blocks.</returns>
    private async ValueTask<long> CompareThenWriteAsync(long offset, ReadOnlyMemory<byte> verify, ReadOnlyMemory<byte> write, CancellationToken cancellationToken)
    {
        int length = verify.Length;
        byte[] medium = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            await Medium.ReadAsync(offset, medium.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            int differs = medium.AsSpan(0, length).CommonPrefixLength(verify.Span);
            if (differs < length)
            {
                return differs;
            }

            await Medium.WriteAsync(offset, write, cancellationToken).ConfigureAwait(false);
            return -1;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(medium);
        }
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
