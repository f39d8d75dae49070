using System.Buffers;
using System.Buffers.Binary;

using Targetd.Iscsi.Scsi.Cdbs;

namespace Targetd.Iscsi.Scsi;

/// <content>Logical block provisioning: UNMAP, WRITE SAME and GET LBA STATUS (SBC-3 §4.7, §5.5, §5.28, §5.42).</content>
internal sealed partial class ScsiLogicalUnit
{
    /// <summary>The widest range GET LBA STATUS examines in one command, in bytes.</summary>
    private const long LbaStatusWindow = 64L * 1024 * 1024 * 1024;

    private async ValueTask<ScsiResult> UnmapAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        var cdb = request.Cdb.Span;
        if ((cdb[1] & 0x01) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 0)); // ANCHOR: anchored blocks are not supported
        }

        int parameterLength = BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]);
        if (parameterLength == 0)
        {
            return ScsiResult.Good(); // "not an error" (SBC-3 §5.28)
        }

        var parameters = request.DataOut.Span;
        if (parameterLength < 8 || parameters.Length < parameterLength)
        {
            return ScsiResult.Check(Sense.ParameterListLengthError());
        }

        parameters = parameters[..parameterLength];
        int descriptorBytes = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(parameters[2..]), parameterLength - 8) & ~15;
        int count = descriptorBytes / 16;
        if (count > MaxUnmapDescriptors)
        {
            return ScsiResult.Check(Sense.InvalidFieldInParameterList(2));
        }

        var ranges = new List<(long Lba, long Blocks)>(count);
        for (int i = 0; i < count; i++)
        {
            var descriptor = parameters.Slice(8 + (16 * i), 16);
            ulong lba = BinaryPrimitives.ReadUInt64BigEndian(descriptor);
            long blocks = BinaryPrimitives.ReadUInt32BigEndian(descriptor[8..]);
            if (lba > (ulong)BlockCount || blocks > BlockCount - (long)lba)
            {
                return ScsiResult.Check(Sense.LbaOutOfRange());
            }

            if (blocks > MaxTransferBlocks)
            {
                return ScsiResult.Check(Sense.InvalidFieldInParameterList(8 + (16 * i) + 8));
            }

            ranges.Add(((long)lba, blocks));
        }

        if (IsWriteProtected)
        {
            return ScsiResult.Check(WriteProtectedSense);
        }

        foreach (var (lba, blocks) in ranges)
        {
            if (blocks > 0)
            {
                await Medium.DiscardAsync(lba * BlockSize, blocks * BlockSize, cancellationToken).ConfigureAwait(false);
            }
        }

        return ScsiResult.Good(parameterLength);
    }

    private async ValueTask<ScsiResult> WriteSameAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        var cdb = request.Cdb.Span;
        bool sixteen = cdb[0] == (byte)ScsiOpcode.WriteSame16;
        var (lba, blocks, flags) = new BlockCommandCdb(cdb);

        if ((flags & 0xE0) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 7)); // WRPROTECT
        }

        if ((flags & 0x10) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 4)); // ANCHOR
        }

        bool noDataOut = sixteen && (flags & 0x01) != 0;
        if (blocks == 0)
        {
            // SBC-3 §5.45 with WSNZ clear in the Block Limits page: zero blocks means up to the end of the medium.
            if (lba > BlockCount)
            {
                return ScsiResult.Check(Sense.LbaOutOfRange());
            }

            blocks = BlockCount - lba;
        }

        if (blocks > MaxTransferBlocks)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(sixteen ? 10 : 7)); // beyond MAXIMUM WRITE SAME LENGTH
        }

        if (CheckRange(lba, blocks) is { } range)
        {
            return ScsiResult.Check(range);
        }

        if (IsWriteProtected)
        {
            return ScsiResult.Check(WriteProtectedSense);
        }

        // The data-out buffer is one logical block (SBC-3 §5.45): shorter or longer is refused, nothing written.
        if (!noDataOut && request.DataOut.Length != BlockSize)
        {
            return ScsiResult.Check(Sense.InvalidFieldInInformationUnit());
        }

        var block = noDataOut ? ReadOnlyMemory<byte>.Empty : request.DataOut[..BlockSize];
        long offset = lba * BlockSize;
        long length = blocks * BlockSize;
        if ((flags & 0x08) != 0 && Medium.IsThin)
        {
            // SBC-3 §5.45: the UNMAP bit asks for the blocks to be unmapped; they then read as zeroes (LBPRZ), whatever
            // the data-out block held, as tgt and LIO do.
            await Medium.DiscardAsync(offset, length, cancellationToken).ConfigureAwait(false);
            return ScsiResult.Good(noDataOut ? 0 : BlockSize);
        }

        if (noDataOut || !block.Span.ContainsAnyExcept((byte)0))
        {
            await Medium.WriteZeroesAsync(offset, length, cancellationToken).ConfigureAwait(false);
            return ScsiResult.Good(noDataOut ? 0 : BlockSize);
        }

        int chunkBlocks = (int)Math.Min(blocks, Math.Max(1, (1024 * 1024) / BlockSize));
        var buffer = ArrayPool<byte>.Shared.Rent(chunkBlocks * BlockSize);
        try
        {
            for (int i = 0; i < chunkBlocks; i++)
            {
                block.Span.CopyTo(buffer.AsSpan(i * BlockSize));
            }

            while (length > 0)
            {
                int step = (int)Math.Min(length, (long)chunkBlocks * BlockSize);
                await Medium.WriteAsync(offset, buffer.AsMemory(0, step), cancellationToken).ConfigureAwait(false);
                offset += step;
                length -= step;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return ScsiResult.Good(BlockSize);
    }

    private async ValueTask<ScsiResult> GetLbaStatusAsync(ScsiRequest request, int allocation, CancellationToken cancellationToken)
    {
        var cdb = request.Cdb.Span;
        ulong start = BinaryPrimitives.ReadUInt64BigEndian(cdb[2..]);
        if (start >= (ulong)BlockCount)
        {
            return ScsiResult.Check(Sense.LbaOutOfRange());
        }

        long offset = (long)start * BlockSize;
        long length = Math.Min(Medium.Length - offset, LbaStatusWindow);
        var extents = await Medium.GetAllocatedExtentsAsync(offset, length, cancellationToken).ConfigureAwait(false);

        // SBC-3 §5.5.2: LBA status descriptors covering the range from the starting LBA without gaps.
        int maxDescriptors = Math.Clamp((allocation - 8) / 16, 1, 1024);
        var descriptors = new List<(long Lba, long Blocks, byte Status)>();
        long position = offset;
        long end = offset + length;
        foreach (var extent in extents)
        {
            if (extent.Offset > position)
            {
                descriptors.Add((position, extent.Offset - position, 1));
            }

            long from = Math.Max(extent.Offset, position);
            if (extent.End > from)
            {
                descriptors.Add((from, extent.End - from, 0));
                position = extent.End;
            }
        }

        if (position < end)
        {
            descriptors.Add((position, end - position, 1));
        }

        int used = Math.Min(descriptors.Count, maxDescriptors);
        var data = new byte[8 + (16 * used)];
        BinaryPrimitives.WriteUInt32BigEndian(data, (uint)(data.Length - 4));
        for (int i = 0; i < used; i++)
        {
            var (at, bytes, status) = descriptors[i];
            var descriptor = data.AsSpan(8 + (16 * i));
            long firstBlock = at / BlockSize;
            long lastBlock = (at + bytes + BlockSize - 1) / BlockSize;
            BinaryPrimitives.WriteUInt64BigEndian(descriptor, (ulong)firstBlock);
            BinaryPrimitives.WriteUInt32BigEndian(descriptor[8..], (uint)Math.Min(lastBlock - firstBlock, uint.MaxValue));
            descriptor[12] = status;
        }

        return ScsiResult.Data(data, allocation, request.DataIn);
    }
}
