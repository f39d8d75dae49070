using Targetd.Iscsi.Scsi.Cdbs;

namespace Targetd.Iscsi.Scsi;

/// <content>READ, WRITE, VERIFY and SYNCHRONIZE CACHE (SBC-3 §5).</content>
internal sealed partial class ScsiLogicalUnit
{
    private SenseData? CheckRange(long lba, long blocks) =>
        lba > BlockCount || blocks > BlockCount - lba ? Sense.LbaOutOfRange() : null;

    private async ValueTask<ScsiResult> ReadAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        var (lba, blocks, flags) = new BlockCommandCdb(request.Cdb.Span);
        if ((flags & 0xE0) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 7)); // RDPROTECT: no protection information
        }

        if (blocks > MaxTransferBlocks)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(BlockCommandCdb.TransferLengthByteOf(request.Cdb.Span[0])));
        }

        if (CheckRange(lba, blocks) is { } range)
        {
            return ScsiResult.Check(range);
        }

        long bytes = blocks * BlockSize;
        int count = (int)Math.Min(bytes, request.DataIn.Length);
        if (count > 0)
        {
            await Medium.ReadAsync(lba * BlockSize, request.DataIn[..count], cancellationToken).ConfigureAwait(false);
        }

        return ScsiResult.Good(bytes, count);
    }

    private async ValueTask<ScsiResult> WriteAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        var (lba, blocks, flags) = new BlockCommandCdb(request.Cdb.Span);
        if ((flags & 0xE0) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 7)); // WRPROTECT
        }

        if (blocks > MaxTransferBlocks)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(BlockCommandCdb.TransferLengthByteOf(request.Cdb.Span[0])));
        }

        if (CheckRange(lba, blocks) is { } range)
        {
            return ScsiResult.Check(range);
        }

        if (IsWriteProtected)
        {
            return ScsiResult.Check(WriteProtectedSense);
        }

        // When the transport delivered less than the CDB asks for, only the whole blocks received are written and the
        // transport reports the difference as residual overflow (RFC 7143 §11.4.5.1).
        long bytes = blocks * BlockSize;
        long writable = Math.Min(bytes, request.DataOut.Length / BlockSize * (long)BlockSize);
        if (writable > 0)
        {
            await Medium.WriteAsync(lba * BlockSize, request.DataOut[..(int)writable], cancellationToken).ConfigureAwait(false);
            if ((flags & 0x08) != 0)
            {
                // FUA: "the device server shall write the logical blocks to the medium" before status (SBC-3 §5.32).
                await Medium.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return ScsiResult.Good(bytes);
    }

    private async ValueTask<ScsiResult> VerifyAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        var (lba, blocks, flags) = new BlockCommandCdb(request.Cdb.Span);
        int byteCheck = (flags >> 1) & 0x03;
        if ((flags & 0xE0) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 7)); // VRPROTECT
        }

        if (byteCheck is 2 or 3)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 2));
        }

        if (blocks > MaxTransferBlocks)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(BlockCommandCdb.TransferLengthByteOf(request.Cdb.Span[0])));
        }

        if (CheckRange(lba, blocks) is { } range)
        {
            return ScsiResult.Check(range);
        }

        if (byteCheck == 0)
        {
            // Without BYTCHK the medium is only checked for readability, which a block device always offers.
            return ScsiResult.Good();
        }

        long bytes = blocks * BlockSize;
        if (request.DataOut.Length < bytes)
        {
            return ScsiResult.Check(Sense.InvalidFieldInInformationUnit());
        }

        var medium = System.Buffers.ArrayPool<byte>.Shared.Rent((int)bytes);
        try
        {
            await Medium.ReadAsync(lba * BlockSize, medium.AsMemory(0, (int)bytes), cancellationToken).ConfigureAwait(false);
            var expected = request.DataOut.Span[..(int)bytes];
            int mismatch = medium.AsSpan(0, (int)bytes).CommonPrefixLength(expected);
            return mismatch < bytes ? ScsiResult.Check(Sense.MiscompareDuringVerify((uint)mismatch)) : ScsiResult.Good(bytes);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(medium);
        }
    }

    private async ValueTask<ScsiResult> SynchronizeCacheAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        var (lba, blocks, _) = new BlockCommandCdb(request.Cdb.Span);

        // "A NUMBER OF LOGICAL BLOCKS field set to zero specifies ... through the last logical block" (SBC-3 §5.22).
        if (CheckRange(lba, blocks) is { } range)
        {
            return ScsiResult.Check(range);
        }

        await Medium.FlushAsync(cancellationToken).ConfigureAwait(false);
        return ScsiResult.Good();
    }
}
