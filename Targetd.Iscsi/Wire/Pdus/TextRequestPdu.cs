namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// A read-only view of the Basic Header Segment of a Text Request (RFC 7143 §11.10).
/// </summary>
/// <remarks>
/// <code>
/// Byte|       0       |       1       |       2       |       3       |
///     |0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|
///   0 |.|I| 0x04      |F|C| Reserved  | Reserved                      |
///   4 |TotalAHSLength | DataSegmentLength                             |
///   8 | LUN or Reserved, 8 bytes                                      |
///  16 | Initiator Task Tag                                            |
///  20 | Target Transfer Tag or 0xffffffff                             |
///  24 | CmdSN                                                         |
///  28 | ExpStatSN                                                     |
///  32 | Reserved, 16 bytes                                            |
///  48 | Header-Digest (optional), DataSegment (text), Data-Digest     |
/// </code>
/// </remarks>
internal readonly ref struct TextRequestPdu
{
    private const byte FlagsMask = 0xC0;

    private readonly ReadOnlySpan<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes or holds another opcode.</exception>
    public TextRequestPdu(ReadOnlySpan<byte> bhs) => _bhs = PduFields.View(bhs, IscsiOpcode.TextRequest);

    /// <summary>The I bit: "for request PDUs, the I bit set to 1 is an immediate delivery marker" (§11.2.1.1).</summary>
    public bool IsImmediate => PduFields.IsImmediate(_bhs);

    /// <summary>The F and C bits (§11.10.1, §11.10.2).</summary>
    public TextFlags Flags => (TextFlags)PduFields.Bits(_bhs, PduFields.FlagsAt, FlagsMask);

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5).</summary>
    public int DataSegmentLength => PduFields.DataSegmentLength(_bhs);

    /// <summary>The 8-byte Logical Unit Number field (§11.2.1.6).</summary>
    public ulong Lun => PduFields.UInt64(_bhs, PduFields.LunAt);

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);

    /// <summary>"When the Target Transfer Tag is set to the reserved value 0xffffffff, it tells the target that this is a new request" (§11.10.4).</summary>
    public uint TargetTransferTag => PduFields.UInt32(_bhs, PduFields.TargetTransferTagAt);

    /// <summary>CmdSN: the command sequence number of this request (§11.3.2).</summary>
    public uint CmdSN => PduFields.UInt32(_bhs, PduFields.CmdSNAt);

    /// <summary>ExpStatSN: the StatSN the initiator expects next, acknowledging the ones before (§11.3.3).</summary>
    public uint ExpStatSN => PduFields.UInt32(_bhs, PduFields.ExpStatSNAt);

    /// <summary>The 48 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bhs;
}
