namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// A read-only view of the Basic Header Segment of a NOP-Out (RFC 7143 §11.18).
/// </summary>
/// <remarks>
/// <code>
/// Byte|       0       |       1       |       2       |       3       |
///     |0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|
///   0 |.|I| 0x00      |1| Reserved    | Reserved                      |
///   4 |TotalAHSLength | DataSegmentLength                             |
///   8 | LUN or Reserved, 8 bytes                                      |
///  16 | Initiator Task Tag or 0xffffffff                              |
///  20 | Target Transfer Tag or 0xffffffff                             |
///  24 | CmdSN                                                         |
///  28 | ExpStatSN                                                     |
///  32 | Reserved, 16 bytes                                            |
///  48 | Header-Digest (optional), DataSegment (ping data), Data-Digest|
/// </code>
/// </remarks>
internal readonly ref struct NopOutPdu
{
    private readonly ReadOnlySpan<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes or holds another opcode.</exception>
    public NopOutPdu(ReadOnlySpan<byte> bhs) => _bhs = PduFields.View(bhs, IscsiOpcode.NopOut);

    /// <summary>The I bit: "for request PDUs, the I bit set to 1 is an immediate delivery marker" (§11.2.1.1).</summary>
    public bool IsImmediate => PduFields.IsImmediate(_bhs);

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5).</summary>
    public int DataSegmentLength => PduFields.DataSegmentLength(_bhs);

    /// <summary>"A LUN MUST be set to a correct value when the Target Transfer Tag is valid" (§11.18).</summary>
    public ulong Lun => PduFields.UInt64(_bhs, PduFields.LunAt);

    /// <summary>"The NOP-Out MUST have the Initiator Task Tag set to a valid value only if a response in the form of a NOP-In is requested" (§11.18.1); 0xffffffff otherwise.</summary>
    public uint InitiatorTaskTag => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);

    /// <summary>"The Target Transfer Tag is a target-assigned identifier for the operation" when answering a NOP-In; 0xffffffff otherwise (§11.18.2).</summary>
    public uint TargetTransferTag => PduFields.UInt32(_bhs, PduFields.TargetTransferTagAt);

    /// <summary>CmdSN: the command sequence number of this request (§11.3.2).</summary>
    public uint CmdSN => PduFields.UInt32(_bhs, PduFields.CmdSNAt);

    /// <summary>ExpStatSN: the StatSN the initiator expects next, acknowledging the ones before (§11.3.3).</summary>
    public uint ExpStatSN => PduFields.UInt32(_bhs, PduFields.ExpStatSNAt);

    /// <summary>The 48 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bhs;
}
