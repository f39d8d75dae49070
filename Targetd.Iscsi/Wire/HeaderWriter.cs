using System.Buffers.Binary;

namespace Targetd.Iscsi.Wire;

/// <summary>Writes the fields of a 48-byte Basic Header Segment (RFC 7143 §11.2.1) into a span.</summary>
internal readonly ref struct HeaderWriter
{
    private readonly Span<byte> _bytes;

    /// <summary>Clears <paramref name="bytes"/> (48 bytes at least) and sets the opcode and byte 1.</summary>
    public HeaderWriter(Span<byte> bytes, IscsiOpcode opcode, byte flags)
    {
        _bytes = bytes[..BasicHeaderSegment.Size];
        _bytes.Clear();
        _bytes[0] = (byte)opcode;
        _bytes[1] = flags;
    }

    public Span<byte> Bytes => _bytes;

    public HeaderWriter Byte(int offset, byte value)
    {
        _bytes[offset] = value;
        return this;
    }

    public HeaderWriter UInt16(int offset, ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_bytes[offset..], value);
        return this;
    }

    public HeaderWriter UInt32(int offset, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_bytes[offset..], value);
        return this;
    }

    public HeaderWriter UInt64(int offset, ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_bytes[offset..], value);
        return this;
    }

    /// <summary>Sets the 24-bit DataSegmentLength (bytes 5-7), leaving TotalAHSLength at zero.</summary>
    public HeaderWriter DataSegmentLength(int length)
    {
        if ((uint)length > 0x00FFFFFF)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "DataSegmentLength is a 24-bit field.");
        }

        _bytes[5] = (byte)(length >> 16);
        _bytes[6] = (byte)(length >> 8);
        _bytes[7] = (byte)length;
        return this;
    }

    public HeaderWriter Lun(ulong lun) => UInt64(8, lun);

    public HeaderWriter InitiatorTaskTag(uint tag) => UInt32(16, tag);

    /// <summary>StatSN, ExpCmdSN and MaxCmdSN at bytes 24, 28 and 32, common to most target PDUs.</summary>
    public HeaderWriter Sequence(uint statSN, uint expCmdSN, uint maxCmdSN)
    {
        UInt32(24, statSN);
        UInt32(28, expCmdSN);
        return UInt32(32, maxCmdSN);
    }
}
