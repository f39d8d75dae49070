namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// A read-only view of the Basic Header Segment of a Logout Response (RFC 7143 §11.15).
/// </summary>
/// <remarks>
/// <code>
/// Byte|       0       |       1       |       2       |       3       |
///     |0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|
///   0 |.|.| 0x26      |1| Reserved    | Response      | Reserved      |
///   4 |TotalAHSLength | DataSegmentLength (0)                         |
///   8 | Reserved, 8 bytes                                             |
///  16 | Initiator Task Tag                                            |
///  20 | Reserved                                                      |
///  24 | StatSN                                                        |
///  28 | ExpCmdSN                                                      |
///  32 | MaxCmdSN                                                      |
///  36 | Reserved                                                      |
///  40 | Time2Wait                     | Time2Retain                   |
///  44 | Reserved                                                      |
///  48 | Header-Digest (optional)                                      |
/// </code>
/// </remarks>
internal readonly ref struct LogoutResponsePdu
{
    private readonly ReadOnlySpan<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes or holds another opcode.</exception>
    public LogoutResponsePdu(ReadOnlySpan<byte> bhs) => _bhs = PduFields.View(bhs, IscsiOpcode.LogoutResponse);

    /// <summary>The outcome of the logout (§11.15.1).</summary>
    public LogoutResponse Response => (LogoutResponse)PduFields.Byte(_bhs, PduFields.ResponseAt);

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);

    /// <summary>StatSN: the status sequence number on this connection (§11.4.9).</summary>
    public uint StatSN => PduFields.UInt32(_bhs, PduFields.StatSNAt);

    /// <summary>ExpCmdSN: the next CmdSN the target expects (§11.4.10).</summary>
    public uint ExpCmdSN => PduFields.UInt32(_bhs, PduFields.ExpCmdSNAt);

    /// <summary>MaxCmdSN: the highest CmdSN the target accepts (§11.4.10).</summary>
    public uint MaxCmdSN => PduFields.UInt32(_bhs, PduFields.MaxCmdSNAt);

    /// <summary>"If the Logout response code is 0 and the operational ErrorRecoveryLevel is 2, this is the minimum amount of time, in seconds, to wait before attempting task reassignment" (§11.15.3).</summary>
    public ushort Time2Wait => PduFields.UInt16(_bhs, PduFields.Time2WaitAt);

    /// <summary>"the maximum amount of time, in seconds, after the initial wait (Time2Wait) that the target waits for the allegiance reassignment" (§11.15.4).</summary>
    public ushort Time2Retain => PduFields.UInt16(_bhs, PduFields.Time2RetainAt);

    /// <summary>The 48 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bhs;
}
