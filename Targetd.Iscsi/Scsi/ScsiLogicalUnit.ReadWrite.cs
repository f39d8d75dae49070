using System.Buffers.Binary;

namespace Targetd.Iscsi.Scsi;

/// <content>READ, WRITE, VERIFY and SYNCHRONIZE CACHE (SBC-3 §5).</content>
internal sealed partial class ScsiLogicalUnit
{
    /// <summary>The LBA, transfer length and flags byte of a READ/WRITE/VERIFY CDB of any size.</summary>
    internal static (long Lba, long Blocks, byte Flags) DecodeTransfer(ReadOnlySpan<byte> cdb)
    {
        switch (cdb.Length >= 1 ? cdb[0] >> 5 : -1)
        {
            case 0:
                // 6-byte CDB (SBC-3 §5.8): 21-bit LBA, "a TRANSFER LENGTH field set to zero specifies that 256 logical blocks".
                long lba6 = ((cdb[1] & 0x1F) << 16) | (cdb[2] << 8) | cdb[3];
                return (lba6, cdb[4] == 0 ? 256 : cdb[4], 0);
            case 1:
            case 2:
                return (BinaryPrimitives.ReadUInt32BigEndian(cdb[2..]), BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]), cdb[1]);
            case 5:
                return (BinaryPrimitives.ReadUInt32BigEndian(cdb[2..]), BinaryPrimitives.ReadUInt32BigEndian(cdb[6..]), cdb[1]);
            case 4:
                ulong lba16 = BinaryPrimitives.ReadUInt64BigEndian(cdb[2..]);
                return (lba16 > long.MaxValue ? long.MaxValue : (long)lba16, BinaryPrimitives.ReadUInt32BigEndian(cdb[10..]), cdb[1]);
            default:
                throw new ArgumentException("Not a READ, WRITE or VERIFY CDB.", nameof(cdb));
        }
    }

    /// <summary>The byte where the TRANSFER LENGTH field starts, by CDB group.</summary>
    internal static int TransferLengthField(byte opcode) => (opcode >> 5) switch
    {
        0 => 4,
        4 => 10,
        5 => 6,
        _ => 7,
    };

    private SenseData? CheckRange(long lba, long blocks) =>
        lba > BlockCount || blocks > BlockCount - lba ? Sense.LbaOutOfRange() : null;

    private async ValueTask<ScsiResult> ReadAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        var (lba, blocks, flags) = DecodeTransfer(request.Cdb.Span);
        if ((flags & 0xE0) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 7)); // RDPROTECT: no protection information
        }

        if (blocks > MaxTransferBlocks)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(TransferLengthField(request.Cdb.Span[0])));
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
        var (lba, blocks, flags) = DecodeTransfer(request.Cdb.Span);
        if ((flags & 0xE0) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 7)); // WRPROTECT
        }

        if (blocks > MaxTransferBlocks)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(TransferLengthField(request.Cdb.Span[0])));
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
        var (lba, blocks, flags) = DecodeTransfer(request.Cdb.Span);
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
            return ScsiResult.Check(Sense.InvalidFieldInCdb(TransferLengthField(request.Cdb.Span[0])));
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
        var cdb = request.Cdb.Span;
        long lba;
        long blocks;
        if (cdb[0] == (byte)ScsiOpcode.SynchronizeCache10)
        {
            lba = BinaryPrimitives.ReadUInt32BigEndian(cdb[2..]);
            blocks = BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]);
        }
        else
        {
            ulong lba16 = BinaryPrimitives.ReadUInt64BigEndian(cdb[2..]);
            lba = lba16 > long.MaxValue ? long.MaxValue : (long)lba16;
            blocks = BinaryPrimitives.ReadUInt32BigEndian(cdb[10..]);
        }

        // "A NUMBER OF LOGICAL BLOCKS field set to zero specifies ... through the last logical block" (SBC-3 §5.22).
        if (CheckRange(lba, blocks) is { } range)
        {
            return ScsiResult.Check(range);
        }

        await Medium.FlushAsync(cancellationToken).ConfigureAwait(false);
        return ScsiResult.Good();
    }
}
