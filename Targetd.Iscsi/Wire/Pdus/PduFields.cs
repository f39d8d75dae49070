using System.Buffers.Binary;

namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// Where every field of a Basic Header Segment lives (RFC 7143 §11.2.1 and the sections of each PDU), and the
/// big-endian reads and writes the typed PDU views and writers share. No other code names a byte position.
/// </summary>
internal static class PduFields
{
    /// <summary>The size of the BHS in bytes.</summary>
    public const int Size = BasicHeaderSegment.Size;

    /// <summary>The reserved tag: "an ITT value of 0xffffffff" or a TTT that asks for nothing (§11.2.1.8, §11.18.2).</summary>
    public const uint ReservedTag = BasicHeaderSegment.ReservedTag;

    // §11.2.1: "Byte 0: .|I| Opcode"; "Byte 1: |F| Opcode-specific fields"; bytes 2-3 opcode-specific.
    public const int OpcodeAt = 0;
    public const int FlagsAt = 1;
    public const int ResponseAt = 2;
    public const int ReasonAt = 2;
    public const int VersionMaxAt = 2;
    public const int StatusAt = 3;
    public const int VersionMinAt = 3;
    public const int VersionActiveAt = 3;

    // §11.2.1.4, §11.2.1.5: TotalAHSLength in byte 4, DataSegmentLength in bytes 5-7.
    public const int TotalAhsLengthAt = 4;
    public const int DataSegmentLengthAt = 5;

    // §11.2.1.6: LUN (bytes 8-15), or the Login PDUs' ISID (bytes 8-13) and TSIH (bytes 14-15).
    public const int LunAt = 8;
    public const int IsidAt = 8;
    public const int TsihAt = 14;

    // §11.2.1.8: Initiator Task Tag.
    public const int InitiatorTaskTagAt = 16;

    // Bytes 20-23.
    public const int TargetTransferTagAt = 20;
    public const int ExpectedDataTransferLengthAt = 20;
    public const int ReferencedTaskTagAt = 20;
    public const int SnackTagAt = 20;
    public const int CidAt = 20;

    // Bytes 24-35: the sequence numbers of requests (§11.3.2, §11.3.3) and of target PDUs (§11.4.9, §11.4.10 and alike).
    public const int CmdSNAt = 24;
    public const int StatSNAt = 24;
    public const int ExpStatSNAt = 28;
    public const int ExpCmdSNAt = 28;
    public const int MaxCmdSNAt = 32;
    public const int RefCmdSNAt = 32;

    // §11.3.5: the 16-byte CDB of a SCSI Command (bytes 32-47).
    public const int CdbAt = 32;
    public const int CdbLength = 16;

    // Bytes 36-39.
    public const int DataSNAt = 36;
    public const int R2TSNAt = 36;
    public const int ExpDataSNAt = 36;
    public const int StatusClassAt = 36;

    // Bytes 40-47.
    public const int BufferOffsetAt = 40;
    public const int BidirectionalReadResidualCountAt = 40;
    public const int Time2WaitAt = 40;
    public const int Time2RetainAt = 42;
    public const int ResidualCountAt = 44;
    public const int DesiredDataTransferLengthAt = 44;

    private const byte ImmediateBit = 0x40;
    private const byte OpcodeMask = 0x3F;
    private const byte FinalBit = 0x80;
    private const int MaxDataSegmentLength = 0x00FFFFFF;

    /// <summary>The first 48 bytes of <paramref name="bytes"/>, checked to hold a header of <paramref name="opcode"/>.</summary>
    /// <exception cref="ArgumentException">The span is shorter than a BHS or carries another opcode.</exception>
    public static ReadOnlySpan<byte> View(ReadOnlySpan<byte> bytes, IscsiOpcode opcode)
    {
        if (bytes.Length < Size)
        {
            throw new ArgumentException("A Basic Header Segment is 48 bytes.", nameof(bytes));
        }

        if (Opcode(bytes) != opcode)
        {
            throw new ArgumentException($"The header is a {Opcode(bytes)} PDU, not a {opcode} PDU.", nameof(bytes));
        }

        return bytes[..Size];
    }

    /// <summary>Clears the first 48 bytes of <paramref name="bytes"/> and sets the opcode and byte 1; returns them.</summary>
    public static Span<byte> Begin(Span<byte> bytes, IscsiOpcode opcode, byte flags)
    {
        if (bytes.Length < Size)
        {
            throw new ArgumentException("A Basic Header Segment is 48 bytes.", nameof(bytes));
        }

        var header = bytes[..Size];
        header.Clear();
        header[OpcodeAt] = (byte)opcode;
        header[FlagsAt] = flags;
        return header;
    }

    /// <summary>"Byte 0: ... Opcode" (§11.2.1.2), bits 2-7.</summary>
    public static IscsiOpcode Opcode(ReadOnlySpan<byte> bhs) => (IscsiOpcode)(bhs[OpcodeAt] & OpcodeMask);

    /// <summary>"For request PDUs, the I bit set to 1 is an immediate delivery marker" (§11.2.1.1).</summary>
    public static bool IsImmediate(ReadOnlySpan<byte> bhs) => (bhs[OpcodeAt] & ImmediateBit) != 0;

    public static void SetImmediate(Span<byte> bhs, bool value) => SetBits(bhs, OpcodeAt, ImmediateBit, value ? ImmediateBit : (byte)0);

    /// <summary>The F (final) bit, byte 1 bit 0 (§11.2.1.3).</summary>
    public static bool IsFinal(ReadOnlySpan<byte> bhs) => (bhs[FlagsAt] & FinalBit) != 0;

    public static void SetFinal(Span<byte> bhs, bool value) => SetBits(bhs, FlagsAt, FinalBit, value ? FinalBit : (byte)0);

    /// <summary>The bits of byte <paramref name="at"/> under <paramref name="mask"/>.</summary>
    public static byte Bits(ReadOnlySpan<byte> bhs, int at, byte mask) => (byte)(bhs[at] & mask);

    /// <summary>Replaces the bits of byte <paramref name="at"/> under <paramref name="mask"/>, keeping the others.</summary>
    public static void SetBits(Span<byte> bhs, int at, byte mask, byte value) => bhs[at] = (byte)((bhs[at] & ~mask) | (value & mask));

    /// <summary>"TotalAHSLength: the total length of all AHS header segments in units of four-byte words" (§11.2.1.4).</summary>
    public static int TotalAhsLength(ReadOnlySpan<byte> bhs) => bhs[TotalAhsLengthAt];

    public static void SetTotalAhsLength(Span<byte> bhs, int words) => bhs[TotalAhsLengthAt] = checked((byte)words);

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5), 24 bits.</summary>
    public static int DataSegmentLength(ReadOnlySpan<byte> bhs) =>
        (bhs[DataSegmentLengthAt] << 16) | (bhs[DataSegmentLengthAt + 1] << 8) | bhs[DataSegmentLengthAt + 2];

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> does not fit in 24 bits.</exception>
    public static void SetDataSegmentLength(Span<byte> bhs, int length)
    {
        if ((uint)length > MaxDataSegmentLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "DataSegmentLength is a 24-bit field.");
        }

        bhs[DataSegmentLengthAt] = (byte)(length >> 16);
        bhs[DataSegmentLengthAt + 1] = (byte)(length >> 8);
        bhs[DataSegmentLengthAt + 2] = (byte)length;
    }

    public static byte Byte(ReadOnlySpan<byte> bhs, int at) => bhs[at];

    public static void SetByte(Span<byte> bhs, int at, byte value) => bhs[at] = value;

    public static ushort UInt16(ReadOnlySpan<byte> bhs, int at) => BinaryPrimitives.ReadUInt16BigEndian(bhs[at..]);

    public static void SetUInt16(Span<byte> bhs, int at, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(bhs[at..], value);

    public static uint UInt32(ReadOnlySpan<byte> bhs, int at) => BinaryPrimitives.ReadUInt32BigEndian(bhs[at..]);

    public static void SetUInt32(Span<byte> bhs, int at, uint value) => BinaryPrimitives.WriteUInt32BigEndian(bhs[at..], value);

    /// <summary>A 48-bit field (the ISID, §11.12.5) as the low 48 bits of a <see cref="ulong"/>.</summary>
    public static ulong UInt48(ReadOnlySpan<byte> bhs, int at) =>
        ((ulong)BinaryPrimitives.ReadUInt16BigEndian(bhs[at..]) << 32) | BinaryPrimitives.ReadUInt32BigEndian(bhs[(at + 2)..]);

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> does not fit in 48 bits.</exception>
    public static void SetUInt48(Span<byte> bhs, int at, ulong value)
    {
        if (value >> 48 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "The field is 48 bits wide.");
        }

        BinaryPrimitives.WriteUInt16BigEndian(bhs[at..], (ushort)(value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(bhs[(at + 2)..], (uint)value);
    }

    public static ulong UInt64(ReadOnlySpan<byte> bhs, int at) => BinaryPrimitives.ReadUInt64BigEndian(bhs[at..]);

    public static void SetUInt64(Span<byte> bhs, int at, ulong value) => BinaryPrimitives.WriteUInt64BigEndian(bhs[at..], value);
}
