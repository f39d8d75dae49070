namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// A read-only view of the Basic Header Segment of a Logout Request (RFC 7143 §11.14).
/// </summary>
/// <remarks>
/// <code>
/// Byte|       0       |       1       |       2       |       3       |
///     |0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|
///   0 |.|I| 0x06      |1| Reason Code | Reserved                      |
///   4 |TotalAHSLength | DataSegmentLength (0)                         |
///   8 | Reserved, 8 bytes                                             |
///  16 | Initiator Task Tag                                            |
///  20 | CID or Reserved               | Reserved                      |
///  24 | CmdSN                                                         |
///  28 | ExpStatSN                                                     |
///  32 | Reserved, 16 bytes                                            |
///  48 | Header-Digest (optional)                                      |
/// </code>
/// </remarks>
internal readonly ref struct LogoutRequestPdu
{
    private const byte ReasonMask = 0x7F;

    private readonly ReadOnlySpan<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes or holds another opcode.</exception>
    public LogoutRequestPdu(ReadOnlySpan<byte> bhs) => _bhs = PduFields.View(bhs, IscsiOpcode.LogoutRequest);

    /// <summary>The I bit: "for request PDUs, the I bit set to 1 is an immediate delivery marker" (§11.2.1.1).</summary>
    public bool IsImmediate => PduFields.IsImmediate(_bhs);

    /// <summary>The reason code (§11.14.1).</summary>
    public LogoutReason Reason => (LogoutReason)PduFields.Bits(_bhs, PduFields.FlagsAt, ReasonMask);

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);

    /// <summary>"This is the connection ID of the connection to be closed" (§11.14.3); reserved when the reason is close the session.</summary>
    public ushort Cid => PduFields.UInt16(_bhs, PduFields.CidAt);

    /// <summary>CmdSN: the command sequence number of this request (§11.3.2).</summary>
    public uint CmdSN => PduFields.UInt32(_bhs, PduFields.CmdSNAt);

    /// <summary>ExpStatSN: the StatSN the initiator expects next, acknowledging the ones before (§11.3.3).</summary>
    public uint ExpStatSN => PduFields.UInt32(_bhs, PduFields.ExpStatSNAt);

    /// <summary>The 48 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bhs;
}
