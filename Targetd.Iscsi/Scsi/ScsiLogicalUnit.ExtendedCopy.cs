using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using Targetd.Core.BlockDevices;

namespace Targetd.Iscsi.Scsi;

/// <content>
/// EXTENDED COPY (LID1, SPC-4 §6.4) and RECEIVE COPY RESULTS (SPC-4 §6.18): block-to-block copies within and
/// between the logical units the initiator may address, so it can copy without moving the data over the network.
/// A designator naming any other unit is an unreachable copy target, so a copy cannot read or write a disk the
/// initiator was not given. Every segment is checked before the first block moves.
/// </content>
internal sealed partial class ScsiLogicalUnit
{
    /// <summary>The bytes moved per read and write while copying.</summary>
    private const int CopyChunkBytes = 1024 * 1024;

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

        var visible = request.VisibleUnits;
        var parameters = request.DataOut.Span[..(int)Math.Min(length, request.DataOut.Length)];
        if (!ExtendedCopyList.TryParse(parameters, designator => Resolve(designator, visible), out var list, out var error))
        {
            return ScsiResult.Check(error);
        }

        if (CheckCopy(list!, request) is { } refusal)
        {
            return refusal;
        }

        long copied = 0;
        foreach (var segment in list!.Segments)
        {
            var source = list.Targets[segment.Source]!;
            var destination = list.Targets[segment.Destination]!;
            await CopyBlocksAsync(
                source.Medium,
                (long)segment.SourceLba * source.BlockSize,
                destination.Medium,
                (long)segment.DestinationLba * destination.BlockSize,
                (long)segment.Blocks * source.BlockSize,
                cancellationToken).ConfigureAwait(false);
            copied += (long)segment.Blocks * source.BlockSize;
        }

        if (list.HoldsResults)
        {
            _device.CopyResults[(request.Nexus, list.ListIdentifier)] = new CopyResult(true, list.Segments.Count, copied);
        }

        return ScsiResult.Good(length);
    }

    /// <summary>
    /// Every segment is checked before the first block moves: both units reachable, the blocks inside each medium,
    /// the destination writable, and neither unit reserved against this initiator (SPC-4 §5.9.1).
    /// </summary>
    private ScsiResult? CheckCopy(ExtendedCopyList list, ScsiRequest request)
    {
        foreach (var segment in list.Segments)
        {
            if (segment.Source >= list.Targets.Count || segment.Destination >= list.Targets.Count
                || list.Targets[segment.Source] is not { } source || list.Targets[segment.Destination] is not { } destination)
            {
                return ScsiResult.Check(Sense.UnreachableCopyTarget());
            }

            if (segment.SourceLba > (ulong)source.BlockCount || (long)segment.SourceLba + segment.Blocks > source.BlockCount
                || segment.DestinationLba > (ulong)destination.BlockCount || (long)segment.DestinationLba + segment.Blocks > destination.BlockCount)
            {
                return ScsiResult.Check(Sense.CopyAborted());
            }

            if (segment.Blocks == 0)
            {
                continue;
            }

            foreach (var (unit, access) in new[] { (source, Reservations.CommandAccess.Read), (destination, Reservations.CommandAccess.Write) })
            {
                if (unit != this && unit._reservations.Conflicts(request.Nexus, request.Port, access, allowedUnderReserve: false))
                {
                    return ScsiResult.Conflict();
                }

                if (unit._device.Sanitizing)
                {
                    return ScsiResult.Check(Sense.SanitizeInProgress());
                }
            }

            if (destination.IsWriteProtected)
            {
                return ScsiResult.Check(destination.WriteProtectedSense);
            }
        }

        return null;
    }

    /// <summary>This unit, or the visible unit a designator names; null when it names none the initiator may address.</summary>
    private ScsiLogicalUnit? Resolve(ReadOnlySpan<byte> designator, IReadOnlyDictionary<int, ScsiLogicalUnit>? visible)
    {
        if (NamesThisUnit(designator))
        {
            return this;
        }

        foreach (var unit in visible?.Values ?? [])
        {
            if (unit.NamesThisUnit(designator))
            {
                return unit;
            }
        }

        return null;
    }

    /// <summary>Copies bytes between devices; overlapping ranges of one device copy from the end when the destination is higher.</summary>
    private static async ValueTask CopyBlocksAsync(
        IBlockDevice sourceDevice, long source, IBlockDevice destinationDevice, long destination, long length, CancellationToken cancellationToken)
    {
        bool sameDevice = ReferenceEquals(sourceDevice, destinationDevice);
        if (length == 0 || (sameDevice && source == destination))
        {
            return;
        }

        bool backwards = sameDevice && destination > source && destination < source + length;
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(CopyChunkBytes, length));
        try
        {
            for (long done = 0; done < length;)
            {
                int chunk = (int)Math.Min(buffer.Length, length - done);
                long at = backwards ? length - done - chunk : done;
                var memory = buffer.AsMemory(0, chunk);
                await sourceDevice.ReadAsync(source + at, memory, cancellationToken).ConfigureAwait(false);
                await destinationDevice.WriteAsync(destination + at, memory, cancellationToken).ConfigureAwait(false);
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
            0x3 => value.SequenceEqual(Identity.Naa.Span),
            0x1 => value.SequenceEqual(System.Text.Encoding.ASCII.GetBytes(Identity.T10VendorId)),
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
                if (!_device.CopyResults.TryGetValue((request.Nexus, cdb[2]), out var result))
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
