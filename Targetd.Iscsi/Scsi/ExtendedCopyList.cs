using System.Buffers.Binary;

namespace Targetd.Iscsi.Scsi;

/// <summary>
/// The parameter list of EXTENDED COPY (LID1, SPC-4 §6.4): a 16-byte header, identification target descriptors
/// (CSCD type E4h, 32 bytes each) and block-to-block segment descriptors (type 02h, 28 bytes each). Parsing checks
/// every length and limit before anything is copied.
/// </summary>
/// <param name="ListIdentifier">The LIST IDENTIFIER (byte 0).</param>
/// <param name="HoldsResults">Whether the copy manager keeps the results for RECEIVE COPY RESULTS (LIST ID USAGE 00b).</param>
/// <param name="Targets">For each target descriptor, the logical unit it names, or null when none the initiator may address.</param>
/// <param name="Segments">The segments in order.</param>
internal sealed record ExtendedCopyList(byte ListIdentifier, bool HoldsResults, IReadOnlyList<ScsiLogicalUnit?> Targets, IReadOnlyList<CopySegment> Segments)
{
    /// <summary>The header before the target descriptor list (SPC-4 §6.4.3.1, table 102).</summary>
    public const int HeaderLength = 16;

    /// <summary>The length of an identification target descriptor (SPC-4 §6.4.5.2).</summary>
    public const int TargetDescriptorLength = 32;

    /// <summary>The length of a block-to-block segment descriptor (SPC-4 §6.4.6.5), its header included.</summary>
    public const int SegmentDescriptorLength = 28;

    /// <summary>MAXIMUM TARGET DESCRIPTOR COUNT (RECEIVE COPY RESULTS, OPERATING PARAMETERS).</summary>
    public const int MaxTargetDescriptors = 4;

    /// <summary>MAXIMUM SEGMENT DESCRIPTOR COUNT.</summary>
    public const int MaxSegmentDescriptors = 64;

    /// <summary>MAXIMUM DESCRIPTOR LIST LENGTH: the target and segment descriptor lists together.</summary>
    public const int MaxDescriptorListLength = (MaxTargetDescriptors * TargetDescriptorLength) + (MaxSegmentDescriptors * SegmentDescriptorLength);

    /// <summary>Finds the logical unit a designation descriptor names, or null.</summary>
    public delegate ScsiLogicalUnit? UnitResolver(ReadOnlySpan<byte> designator);

    /// <summary>Identification descriptor target descriptor (CSCD) type code.</summary>
    public const byte IdentificationTargetDescriptor = 0xE4;

    /// <summary>Block device to block device segment descriptor type code.</summary>
    public const byte BlockToBlockSegment = 0x02;

    /// <summary>
    /// Parses a parameter list. <paramref name="resolve"/> finds the logical unit a designator (the 24 bytes of a
    /// designation descriptor) identifies among those the initiator may address.
    /// </summary>
    public static bool TryParse(
        ReadOnlySpan<byte> parameters, UnitResolver resolve, out ExtendedCopyList? list, out SenseData error)
    {
        list = null;
        error = default;
        if (parameters.Length < HeaderLength)
        {
            error = Sense.ParameterListLengthError();
            return false;
        }

        byte listIdentifier = parameters[0];
        int usage = (parameters[1] >> 3) & 0x03;
        int targetListLength = BinaryPrimitives.ReadUInt16BigEndian(parameters[2..]);
        long segmentListLength = BinaryPrimitives.ReadUInt32BigEndian(parameters[8..]);
        long inlineLength = BinaryPrimitives.ReadUInt32BigEndian(parameters[12..]);
        if (targetListLength + segmentListLength > MaxDescriptorListLength
            || HeaderLength + targetListLength + segmentListLength + inlineLength > parameters.Length
            || targetListLength % TargetDescriptorLength != 0)
        {
            error = Sense.ParameterListLengthError();
            return false;
        }

        if (inlineLength != 0)
        {
            error = Sense.InvalidFieldInParameterList(12); // no inline data is accepted
            return false;
        }

        if (usage == 0x03 && listIdentifier != 0)
        {
            error = Sense.InvalidFieldInParameterList(0); // LIST ID USAGE 11b needs a zero list identifier
            return false;
        }

        int targetCount = targetListLength / TargetDescriptorLength;
        if (targetCount > MaxTargetDescriptors)
        {
            error = Sense.TooManyTargetDescriptors();
            return false;
        }

        var targets = new ScsiLogicalUnit?[targetCount];
        for (int i = 0; i < targetCount; i++)
        {
            int at = HeaderLength + (i * TargetDescriptorLength);
            if (!TryParseTarget(parameters.Slice(at, TargetDescriptorLength), at, resolve, out targets[i], out error))
            {
                return false;
            }
        }

        var segments = new List<CopySegment>();
        int segmentStart = HeaderLength + targetListLength;
        for (int offset = 0; offset < segmentListLength;)
        {
            int at = segmentStart + offset;
            var descriptor = parameters.Slice(at, (int)segmentListLength - offset);
            if (descriptor[0] != BlockToBlockSegment)
            {
                error = Sense.UnsupportedSegmentDescriptorType(at);
                return false;
            }

            if (descriptor.Length < 4 || BinaryPrimitives.ReadUInt16BigEndian(descriptor[2..]) != SegmentDescriptorLength - 4
                || descriptor.Length < SegmentDescriptorLength)
            {
                error = Sense.ParameterListLengthError();
                return false;
            }

            if (segments.Count == MaxSegmentDescriptors)
            {
                error = Sense.TooManySegmentDescriptors();
                return false;
            }

            // SPC-4 §6.4.6.5, table 127: source and destination CSCD indexes, NUMBER OF BLOCKS, both LBAs.
            segments.Add(new CopySegment(
                BinaryPrimitives.ReadUInt16BigEndian(descriptor[4..]),
                BinaryPrimitives.ReadUInt16BigEndian(descriptor[6..]),
                BinaryPrimitives.ReadUInt16BigEndian(descriptor[10..]),
                BinaryPrimitives.ReadUInt64BigEndian(descriptor[12..]),
                BinaryPrimitives.ReadUInt64BigEndian(descriptor[20..])));
            offset += SegmentDescriptorLength;
        }

        list = new ExtendedCopyList(listIdentifier, usage == 0x00, targets, segments);
        return true;
    }

    /// <summary>An identification descriptor target descriptor (SPC-4 §6.4.5.2, table 110) of a block device.</summary>
    private static bool TryParseTarget(
        ReadOnlySpan<byte> descriptor, int at, UnitResolver resolve, out ScsiLogicalUnit? unit, out SenseData error)
    {
        unit = null;
        error = default;
        if (descriptor[0] != IdentificationTargetDescriptor)
        {
            error = Sense.UnsupportedTargetDescriptorType(at);
            return false;
        }

        // Byte 1: LU ID TYPE (ignored since SPC-4), NUL (obsolete), PERIPHERAL DEVICE TYPE: only block devices (0).
        if ((descriptor[1] & 0x1F) != 0)
        {
            error = Sense.InvalidFieldInParameterList(at + 1);
            return false;
        }

        // Bytes 28-31, the block device type specific parameters: PAD, then the DISK BLOCK LENGTH.
        int diskBlockLength = (descriptor[29] << 16) | (descriptor[30] << 8) | descriptor[31];
        unit = resolve(descriptor.Slice(4, 24));
        if (unit is not null && diskBlockLength != unit.BlockSize)
        {
            error = Sense.InvalidFieldInParameterList(at + 29);
            return false;
        }

        return true;
    }
}
