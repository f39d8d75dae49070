namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// A read-only view of the Basic Header Segment of a Task Management Function Response (RFC 7143 §11.6).
/// </summary>
/// <remarks>
/// <code>
/// Byte|       0       |       1       |       2       |       3       |
///     |0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|
///   0 |.|.| 0x22      |1| Reserved    | Response      | Reserved      |
///   4 |TotalAHSLength | DataSegmentLength (0)                         |
///   8 | Reserved, 8 bytes                                             |
///  16 | Initiator Task Tag                                            |
///  20 | Reserved                                                      |
///  24 | StatSN                                                        |
///  28 | ExpCmdSN                                                      |
///  32 | MaxCmdSN                                                      |
///  36 | Reserved, 12 bytes                                            |
///  48 | Header-Digest (optional)                                      |
/// </code>
/// </remarks>
internal readonly ref struct TaskManagementResponsePdu
{
    private readonly ReadOnlySpan<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes or holds another opcode.</exception>
    public TaskManagementResponsePdu(ReadOnlySpan<byte> bhs) => _bhs = PduFields.View(bhs, IscsiOpcode.TaskManagementResponse);

    /// <summary>The outcome of the function (§11.6.1).</summary>
    public TaskManagementResponse Response => (TaskManagementResponse)PduFields.Byte(_bhs, PduFields.ResponseAt);

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);

    /// <summary>StatSN: the status sequence number on this connection (§11.4.9).</summary>
    public uint StatSN => PduFields.UInt32(_bhs, PduFields.StatSNAt);

    /// <summary>ExpCmdSN: the next CmdSN the target expects (§11.4.10).</summary>
    public uint ExpCmdSN => PduFields.UInt32(_bhs, PduFields.ExpCmdSNAt);

    /// <summary>MaxCmdSN: the highest CmdSN the target accepts (§11.4.10).</summary>
    public uint MaxCmdSN => PduFields.UInt32(_bhs, PduFields.MaxCmdSNAt);

    /// <summary>The 48 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bhs;
}
