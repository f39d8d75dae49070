namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// A read-only view of the Basic Header Segment of a NOP-In (RFC 7143 §11.19).
/// </summary>
/// <remarks>
/// <code>
/// Byte|       0       |       1       |       2       |       3       |
///     |0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|
///   0 |.|.| 0x20      |1| Reserved    | Reserved                      |
///   4 |TotalAHSLength | DataSegmentLength                             |
///   8 | LUN or Reserved, 8 bytes                                      |
///  16 | Initiator Task Tag or 0xffffffff                              |
///  20 | Target Transfer Tag or 0xffffffff                             |
///  24 | StatSN                                                        |
///  28 | ExpCmdSN                                                      |
///  32 | MaxCmdSN                                                      |
///  36 | Reserved, 12 bytes                                            |
///  48 | Header-Digest (optional), DataSegment (return ping data), Data|
/// </code>
/// </remarks>
internal readonly ref struct NopInPdu
{
    private readonly ReadOnlySpan<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes or holds another opcode.</exception>
    public NopInPdu(ReadOnlySpan<byte> bhs) => _bhs = PduFields.View(bhs, IscsiOpcode.NopIn);

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5).</summary>
    public int DataSegmentLength => PduFields.DataSegmentLength(_bhs);

    /// <summary>"A LUN MUST be set to a correct value when the Target Transfer Tag is valid (not the reserved value 0xffffffff)" (§11.19.3).</summary>
    public ulong Lun => PduFields.UInt64(_bhs, PduFields.LunAt);

    /// <summary>The ITT of the NOP-Out answered, or 0xffffffff when the target pings on its own (§11.19).</summary>
    public uint InitiatorTaskTag => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);

    /// <summary>"If the target is responding to a NOP-Out, this field is set to the reserved value 0xffffffff"; otherwise a valid tag asks for an answer (§11.19.1).</summary>
    public uint TargetTransferTag => PduFields.UInt32(_bhs, PduFields.TargetTransferTagAt);

    /// <summary>"The StatSN field will always contain the next StatSN" (§11.19.2).</summary>
    public uint StatSN => PduFields.UInt32(_bhs, PduFields.StatSNAt);

    /// <summary>ExpCmdSN: the next CmdSN the target expects (§11.4.10).</summary>
    public uint ExpCmdSN => PduFields.UInt32(_bhs, PduFields.ExpCmdSNAt);

    /// <summary>MaxCmdSN: the highest CmdSN the target accepts (§11.4.10).</summary>
    public uint MaxCmdSN => PduFields.UInt32(_bhs, PduFields.MaxCmdSNAt);

    /// <summary>The 48 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bhs;
}
