using Targetd.Iscsi.Server;

namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// A read-only view of the Basic Header Segment of a Reject (RFC 7143 §11.17).
/// </summary>
/// <remarks>
/// <code>
/// Byte|       0       |       1       |       2       |       3       |
///     |0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|
///   0 |.|.| 0x3f      |1| Reserved    | Reason        | Reserved      |
///   4 |TotalAHSLength | DataSegmentLength                             |
///   8 | Reserved, 8 bytes                                             |
///  16 | 0xffffffff                                                    |
///  20 | Reserved                                                      |
///  24 | StatSN                                                        |
///  28 | ExpCmdSN                                                      |
///  32 | MaxCmdSN                                                      |
///  36 | DataSN/R2TSN or Reserved                                      |
///  40 | Reserved, 8 bytes                                             |
///  48 | Header-Digest (optional), DataSegment (the rejected header), D|
/// </code>
/// </remarks>
internal readonly ref struct RejectPdu
{
    private readonly ReadOnlySpan<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes or holds another opcode.</exception>
    public RejectPdu(ReadOnlySpan<byte> bhs) => _bhs = PduFields.View(bhs, IscsiOpcode.Reject);

    /// <summary>"The reject Reason is coded as follows" (§11.17.1).</summary>
    public RejectReason Reason => (RejectReason)PduFields.Byte(_bhs, PduFields.ReasonAt);

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5).</summary>
    public int DataSegmentLength => PduFields.DataSegmentLength(_bhs);

    /// <summary>StatSN: the status sequence number on this connection (§11.4.9).</summary>
    public uint StatSN => PduFields.UInt32(_bhs, PduFields.StatSNAt);

    /// <summary>ExpCmdSN: the next CmdSN the target expects (§11.4.10).</summary>
    public uint ExpCmdSN => PduFields.UInt32(_bhs, PduFields.ExpCmdSNAt);

    /// <summary>MaxCmdSN: the highest CmdSN the target accepts (§11.4.10).</summary>
    public uint MaxCmdSN => PduFields.UInt32(_bhs, PduFields.MaxCmdSNAt);

    /// <summary>"This field is only valid if the rejected PDU is a Data/R2T SNACK and the Reject reason code is 'Protocol Error'" (§11.17.2).</summary>
    public uint DataSNOrR2TSN => PduFields.UInt32(_bhs, PduFields.DataSNAt);

    /// <summary>The 48 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bhs;
}
