using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;

namespace Targetd.Iscsi.Scsi;

/// <content>
/// EXTENDED COPY (LID1, SPC-4 §6.4) and RECEIVE COPY RESULTS (SPC-4 §6.18): block-to-block copies inside the
/// logical unit, so an initiator can copy without moving the data over the network. A target descriptor must name
/// this unit: a copy never reaches another logical unit, whatever designator it names, so it cannot read a disk
/// the initiator was not given. Every segment is checked before the first block moves.
/// </content>
internal sealed partial class ScsiLogicalUnit
{
    /// <summary>The bytes moved per read and write while copying.</summary>
    private const int CopyChunkBytes = 1024 * 1024;

    private readonly ConcurrentDictionary<(ulong Nexus, byte List), CopyResult> _copyResults = new();

    private async ValueTask<ScsiResult> ExtendedCopyAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        var cdb = request.Cdb.Span;
        if ((cdb[1] & 0x1F) != 0x00)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 4)); // only LID1 EXTENDED COPY
        }

        // "A PARAMETER LIST LENGTH field set to zero specifies that no data shall be transferred. This shall not be
        // considered an error."
        long length = BinaryPrimitives.ReadUInt32BigEndian(cdb[10..]);
        if (length == 0)
        {
            return ScsiResult.Good();
        }

        var parameters = request.DataOut.Span[..(int)Math.Min(length, request.DataOut.Length)];
        if (!ExtendedCopyList.TryParse(parameters, BlockSize, NamesThisUnit, out var list, out var error))
        {
            return ScsiResult.Check(error);
        }

        foreach (var segment in list!.Segments)
        {
            if (segment.Source >= list.Targets.Count || segment.Destination >= list.Targets.Count
                || !list.Targets[segment.Source] || !list.Targets[segment.Destination])
            {
                return ScsiResult.Check(Sense.UnreachableCopyTarget());
            }

            if (segment.SourceLba > (ulong)BlockCount || segment.DestinationLba > (ulong)BlockCount
                || (long)segment.SourceLba + segment.Blocks > BlockCount || (long)segment.DestinationLba + segment.Blocks > BlockCount)
            {
                return ScsiResult.Check(Sense.CopyAborted());
            }
        }

        if (IsWriteProtected && list.Segments.Any(s => s.Blocks > 0))
        {
            return ScsiResult.Check(WriteProtectedSense);
        }

        long copied = 0;
        foreach (var segment in list.Segments)
        {
            await CopyBlocksAsync((long)segment.SourceLba * BlockSize, (long)segment.DestinationLba * BlockSize, (long)segment.Blocks * BlockSize, cancellationToken)
                .ConfigureAwait(false);
            copied += (long)segment.Blocks * BlockSize;
        }

        if (list.HoldsResults)
        {
            _copyResults[(request.Nexus, list.ListIdentifier)] = new CopyResult(true, list.Segments.Count, copied);
        }

        return ScsiResult.Good(length);
    }

    /// <summary>Copies bytes inside the device; overlapping ranges copy from the end when the destination is higher.</summary>
    private async ValueTask CopyBlocksAsync(long source, long destination, long length, CancellationToken cancellationToken)
    {
        if (length == 0 || source == destination)
        {
            return;
        }

        bool backwards = destination > source && destination < source + length;
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(CopyChunkBytes, length));
        try
        {
            for (long done = 0; done < length;)
            {
                int chunk = (int)Math.Min(buffer.Length, length - done);
                long at = backwards ? length - done - chunk : done;
                var memory = buffer.AsMemory(0, chunk);
                await Device.ReadAsync(source + at, memory, cancellationToken).ConfigureAwait(false);
                await Device.WriteAsync(destination + at, memory, cancellationToken).ConfigureAwait(false);
                done += chunk;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Whether a designation descriptor (SPC-4 §7.8.6.1) is this unit's NAA or T10 vendor ID designator.</summary>
    private bool NamesThisUnit(ReadOnlySpan<byte> designator)
    {
        int type = designator[1] & 0x0F;
        int association = (designator[1] >> 4) & 0x03;
        int length = Math.Min(designator[3], designator.Length - 4);
        var value = designator.Slice(4, length);
        if (association != 0)
        {
            return false;
        }

        return type switch
        {
            0x3 => length == 8 && BinaryPrimitives.ReadUInt64BigEndian(value) == NaaIdentifier,
            0x1 => value.SequenceEqual(System.Text.Encoding.ASCII.GetBytes("TARGETD " + Serial)),
            _ => false,
        };
    }

    private ScsiResult ReceiveCopyResults(ScsiRequest request)
    {
        var cdb = request.Cdb.Span;
        int allocation = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(cdb[10..]), int.MaxValue);
        switch (cdb[1] & 0x1F)
        {
            case 0x00:
            {
                // COPY STATUS (SPC-4 §6.18.3): only for a list identifier this nexus used with held results.
                if (!_copyResults.TryGetValue((request.Nexus, cdb[2]), out var result))
                {
                    return ScsiResult.Check(Sense.InvalidFieldInCdb(2));
                }

                var data = new byte[12];
                BinaryPrimitives.WriteUInt32BigEndian(data, 8);
                data[4] = (byte)(result.Succeeded ? 0x01 : 0x02); // COPY MANAGER STATUS: completed (with errors)
                BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(5), (ushort)result.SegmentsProcessed);
                bool inMebibytes = result.BytesTransferred > uint.MaxValue;
                data[7] = (byte)(inMebibytes ? 0xF2 : 0x00); // TRANSFER COUNT UNITS: bytes, or mebibytes
                BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(8), (uint)(inMebibytes ? result.BytesTransferred >> 20 : result.BytesTransferred));
                return ScsiResult.Data(data, allocation, request.DataIn);
            }

            case 0x03:
                return ScsiResult.Data(CopyOperatingParameters(), allocation, request.DataIn);
            default:
                return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 4));
        }
    }

    /// <summary>OPERATING PARAMETERS (SPC-4 §6.18.4, table 145).</summary>
    private static byte[] CopyOperatingParameters()
    {
        byte[] implemented = [ExtendedCopyList.BlockToBlockSegment, ExtendedCopyList.IdentificationTargetDescriptor];
        var data = new byte[44 + implemented.Length];
        BinaryPrimitives.WriteUInt32BigEndian(data, (uint)(data.Length - 4));
        data[4] = 0x01; // SNLID: LIST ID USAGE 11b is supported
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(8), ExtendedCopyList.MaxTargetDescriptors);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(10), ExtendedCopyList.MaxSegmentDescriptors);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(12), ExtendedCopyList.MaxDescriptorListLength);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(16), ushort.MaxValue * 4096u); // MAXIMUM SEGMENT LENGTH
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(34), 1); // TOTAL CONCURRENT COPIES
        data[36] = 1; // MAXIMUM CONCURRENT COPIES
        data[43] = (byte)implemented.Length;
        implemented.CopyTo(data, 44);
        return data;
    }

    /// <summary>
    /// The Third-party Copy VPD page body (SPC-4 §7.8.17): a Supported Commands descriptor (EXTENDED COPY LID1,
    /// RECEIVE COPY RESULTS COPY STATUS and OPERATING PARAMETERS) and a Supported Descriptors descriptor.
    /// </summary>
    private static byte[] ThirdPartyCopy()
    {
        byte[] commands = [0x83, 1, 0x00, 0x84, 2, 0x00, 0x03];
        int supportedCommandsLength = (1 + commands.Length + 3) & ~3;
        byte[] descriptors = [ExtendedCopyList.BlockToBlockSegment, ExtendedCopyList.IdentificationTargetDescriptor];
        int supportedDescriptorsLength = (1 + descriptors.Length + 3) & ~3;
        var body = new byte[4 + supportedCommandsLength + 4 + supportedDescriptorsLength];
        BinaryPrimitives.WriteUInt16BigEndian(body, 0x0001);
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(2), (ushort)supportedCommandsLength);
        body[4] = (byte)commands.Length;
        commands.CopyTo(body, 5);
        int at = 4 + supportedCommandsLength;
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(at), 0x0008);
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(at + 2), (ushort)supportedDescriptorsLength);
        body[at + 4] = (byte)descriptors.Length;
        descriptors.CopyTo(body, at + 5);
        return body;
    }
}
