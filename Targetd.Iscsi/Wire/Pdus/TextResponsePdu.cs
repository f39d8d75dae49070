namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// A read-only view of the Basic Header Segment of a Text Response (RFC 7143 §11.11).
/// </summary>
/// <remarks>
/// <code>
/// Byte|       0       |       1       |       2       |       3       |
///     |0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|
///   0 |.|.| 0x24      |F|C| Reserved  | Reserved                      |
///   4 |TotalAHSLength | DataSegmentLength                             |
///   8 | LUN or Reserved, 8 bytes                                      |
///  16 | Initiator Task Tag                                            |
///  20 | Target Transfer Tag or 0xffffffff                             |
///  24 | StatSN                                                        |
///  28 | ExpCmdSN                                                      |
///  32 | MaxCmdSN                                                      |
///  36 | Reserved, 12 bytes                                            |
///  48 | Header-Digest (optional), DataSegment (text), Data-Digest     |
/// </code>
/// </remarks>
internal readonly ref struct TextResponsePdu
{
    private const byte FlagsMask = 0xC0;

    private readonly ReadOnlySpan<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes or holds another opcode.</exception>
    public TextResponsePdu(ReadOnlySpan<byte> bhs) => _bhs = PduFields.View(bhs, IscsiOpcode.TextResponse);

    /// <summary>The F and C bits (§11.11.1, §11.11.2).</summary>
    public TextFlags Flags => (TextFlags)PduFields.Bits(_bhs, PduFields.FlagsAt, FlagsMask);

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5).</summary>
    public int DataSegmentLength => PduFields.DataSegmentLength(_bhs);

    /// <summary>The 8-byte Logical Unit Number field (§11.2.1.6).</summary>
    public ulong Lun => PduFields.UInt64(_bhs, PduFields.LunAt);

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);

    /// <summary>"When a target has more work to do ... it MUST set the Target Transfer Tag to a value other than the reserved value 0xffffffff" (§11.11.4).</summary>
    public uint TargetTransferTag => PduFields.UInt32(_bhs, PduFields.TargetTransferTagAt);

    /// <summary>StatSN: the status sequence number on this connection (§11.4.9).</summary>
    public uint StatSN => PduFields.UInt32(_bhs, PduFields.StatSNAt);

    /// <summary>ExpCmdSN: the next CmdSN the target expects (§11.4.10).</summary>
    public uint ExpCmdSN => PduFields.UInt32(_bhs, PduFields.ExpCmdSNAt);

    /// <summary>MaxCmdSN: the highest CmdSN the target accepts (§11.4.10).</summary>
    public uint MaxCmdSN => PduFields.UInt32(_bhs, PduFields.MaxCmdSNAt);

    /// <summary>The 48 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bhs;
}
