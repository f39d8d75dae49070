namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// A read-only view of the Basic Header Segment of a Task Management Function Request (RFC 7143 §11.5).
/// </summary>
/// <remarks>
/// <code>
/// Byte|       0       |       1       |       2       |       3       |
///     |0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|
///   0 |.|I| 0x02      |1| Function    | Reserved                      |
///   4 |TotalAHSLength | DataSegmentLength (0)                         |
///   8 | Logical Unit Number (LUN) or Reserved, 8 bytes                |
///  16 | Initiator Task Tag                                            |
///  20 | Referenced Task Tag or 0xffffffff                             |
///  24 | CmdSN                                                         |
///  28 | ExpStatSN                                                     |
///  32 | RefCmdSN or Reserved                                          |
///  36 | ExpDataSN or Reserved                                         |
///  40 | Reserved, 8 bytes                                             |
///  48 | Header-Digest (optional)                                      |
/// </code>
/// </remarks>
internal readonly ref struct TaskManagementRequestPdu
{
    private const byte FunctionMask = 0x7F;

    private readonly ReadOnlySpan<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes or holds another opcode.</exception>
    public TaskManagementRequestPdu(ReadOnlySpan<byte> bhs) => _bhs = PduFields.View(bhs, IscsiOpcode.TaskManagementRequest);

    /// <summary>The I bit: "for request PDUs, the I bit set to 1 is an immediate delivery marker" (§11.2.1.1).</summary>
    public bool IsImmediate => PduFields.IsImmediate(_bhs);

    /// <summary>The function to perform (§11.5.1).</summary>
    public TaskManagementFunction Function => (TaskManagementFunction)PduFields.Bits(_bhs, PduFields.FlagsAt, FunctionMask);

    /// <summary>The 8-byte Logical Unit Number field (§11.2.1.6).</summary>
    public ulong Lun => PduFields.UInt64(_bhs, PduFields.LunAt);

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);

    /// <summary>"The Initiator Task Tag of the task to be aborted for the ABORT TASK function or reassigned for the TASK REASSIGN function" (§11.5.4); 0xffffffff otherwise.</summary>
    public uint ReferencedTaskTag => PduFields.UInt32(_bhs, PduFields.ReferencedTaskTagAt);

    /// <summary>CmdSN: the command sequence number of this request (§11.3.2).</summary>
    public uint CmdSN => PduFields.UInt32(_bhs, PduFields.CmdSNAt);

    /// <summary>ExpStatSN: the StatSN the initiator expects next, acknowledging the ones before (§11.3.3).</summary>
    public uint ExpStatSN => PduFields.UInt32(_bhs, PduFields.ExpStatSNAt);

    /// <summary>"If the function is ABORT TASK, this field MUST contain the CmdSN of the task to be aborted" (§11.5.5).</summary>
    public uint RefCmdSN => PduFields.UInt32(_bhs, PduFields.RefCmdSNAt);

    /// <summary>ExpDataSN, for TASK REASSIGN only (§11.5.6).</summary>
    public uint ExpDataSN => PduFields.UInt32(_bhs, PduFields.ExpDataSNAt);

    /// <summary>The 48 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bhs;
}
