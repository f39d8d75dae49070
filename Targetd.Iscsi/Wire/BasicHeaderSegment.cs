using System.Buffers.Binary;

namespace Targetd.Iscsi.Wire;

/// <summary>
/// A read-only view of the 48-byte Basic Header Segment (RFC 7143 §11.2.1).
/// </summary>
/// <remarks>
/// <code>
/// Byte 0      .|I| Opcode
/// Byte 1      |F| Opcode-specific fields
/// Byte 4      TotalAHSLength (in 4-byte words)
/// Bytes 5-7   DataSegmentLength (in bytes, excluding padding)
/// Bytes 8-15  LUN or opcode-specific fields
/// Bytes 16-19 Initiator Task Tag
/// Bytes 20-47 Opcode-specific fields
/// </code>
/// </remarks>
internal readonly ref struct BasicHeaderSegment
{
    /// <summary>The size of the BHS in bytes.</summary>
    public const int Size = 48;

    /// <summary>The Initiator Task Tag value reserved for PDUs that carry no task (RFC 7143 §11.2.1.8).</summary>
    public const uint ReservedTag = 0xFFFFFFFF;

    private readonly ReadOnlySpan<byte> _bytes;

    public BasicHeaderSegment(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Size)
        {
            throw new ArgumentException("A Basic Header Segment is 48 bytes.", nameof(bytes));
        }

        _bytes = bytes[..Size];
    }

    /// <summary>The opcode (byte 0, bits 0-5).</summary>
    public IscsiOpcode Opcode => (IscsiOpcode)(_bytes[0] & 0x3F);

    /// <summary>The I bit: "for request PDUs, the I bit set to 1 is an immediate delivery marker" (§11.2.1.1).</summary>
    public bool IsImmediate => (_bytes[0] & 0x40) != 0;

    /// <summary>The F bit (byte 1, bit 7).</summary>
    public bool IsFinal => (_bytes[1] & 0x80) != 0;

    /// <summary>Byte 1 whole: the F bit and the opcode-specific flags.</summary>
    public byte Flags => _bytes[1];

    /// <summary>"TotalAHSLength: the total length of all AHS header segments in units of four-byte words" (§11.2.1.4).</summary>
    public int TotalAhsLengthWords => _bytes[4];

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5), 24 bits.</summary>
    public int DataSegmentLength => (int)(BinaryPrimitives.ReadUInt32BigEndian(_bytes[4..]) & 0x00FFFFFF);

    /// <summary>The 8-byte LUN field (bytes 8-15).</summary>
    public ulong Lun => BinaryPrimitives.ReadUInt64BigEndian(_bytes[8..]);

    /// <summary>The Initiator Task Tag (bytes 16-19).</summary>
    public uint InitiatorTaskTag => BinaryPrimitives.ReadUInt32BigEndian(_bytes[16..]);

    /// <summary>CmdSN of a request (bytes 24-27).</summary>
    public uint CmdSN => BinaryPrimitives.ReadUInt32BigEndian(_bytes[Pdus.PduFields.CmdSNAt..]);

    /// <summary>ExpStatSN of a request (bytes 28-31).</summary>
    public uint ExpStatSN => BinaryPrimitives.ReadUInt32BigEndian(_bytes[Pdus.PduFields.ExpStatSNAt..]);

    /// <summary>The Target Transfer Tag of a Data-Out, NOP-Out or Text request (bytes 20-23).</summary>
    public uint TargetTransferTag => BinaryPrimitives.ReadUInt32BigEndian(_bytes[Pdus.PduFields.TargetTransferTagAt..]);

    /// <summary>The raw 48 bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;
}
