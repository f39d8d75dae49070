namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// Writes the Basic Header Segment of a Task Management Function Request (RFC 7143 §11.5): the constructor clears the 48 bytes
/// and sets the opcode and the bit fixed at 1; the properties set the named fields.
/// </summary>
/// <remarks>The layout is drawn on <see cref="TaskManagementRequestPdu"/>.</remarks>
internal readonly ref struct TaskManagementRequestPduWriter
{
    private const byte FunctionMask = 0x7F;

    private readonly Span<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes.</exception>
    public TaskManagementRequestPduWriter(Span<byte> bhs)
    {
        _bhs = PduFields.Begin(bhs, IscsiOpcode.TaskManagementRequest, 0x80);
    }

    /// <summary>The I bit: "for request PDUs, the I bit set to 1 is an immediate delivery marker" (§11.2.1.1).</summary>
    public bool IsImmediate
    {
        get => PduFields.IsImmediate(_bhs);
        set => PduFields.SetImmediate(_bhs, value);
    }

    /// <summary>The function to perform (§11.5.1).</summary>
    public TaskManagementFunction Function
    {
        get => (TaskManagementFunction)PduFields.Bits(_bhs, PduFields.FlagsAt, FunctionMask);
        set => PduFields.SetBits(_bhs, PduFields.FlagsAt, FunctionMask, (byte)value);
    }

    /// <summary>The 8-byte Logical Unit Number field (§11.2.1.6).</summary>
    public ulong Lun
    {
        get => PduFields.UInt64(_bhs, PduFields.LunAt);
        set => PduFields.SetUInt64(_bhs, PduFields.LunAt, value);
    }

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag
    {
        get => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);
        set => PduFields.SetUInt32(_bhs, PduFields.InitiatorTaskTagAt, value);
    }

    /// <summary>"The Initiator Task Tag of the task to be aborted for the ABORT TASK function or reassigned for the TASK REASSIGN function" (§11.5.4); 0xffffffff otherwise.</summary>
    public uint ReferencedTaskTag
    {
        get => PduFields.UInt32(_bhs, PduFields.ReferencedTaskTagAt);
        set => PduFields.SetUInt32(_bhs, PduFields.ReferencedTaskTagAt, value);
    }

    /// <summary>CmdSN: the command sequence number of this request (§11.3.2).</summary>
    public uint CmdSN
    {
        get => PduFields.UInt32(_bhs, PduFields.CmdSNAt);
        set => PduFields.SetUInt32(_bhs, PduFields.CmdSNAt, value);
    }

    /// <summary>ExpStatSN: the StatSN the initiator expects next, acknowledging the ones before (§11.3.3).</summary>
    public uint ExpStatSN
    {
        get => PduFields.UInt32(_bhs, PduFields.ExpStatSNAt);
        set => PduFields.SetUInt32(_bhs, PduFields.ExpStatSNAt, value);
    }

    /// <summary>"If the function is ABORT TASK, this field MUST contain the CmdSN of the task to be aborted" (§11.5.5).</summary>
    public uint RefCmdSN
    {
        get => PduFields.UInt32(_bhs, PduFields.RefCmdSNAt);
        set => PduFields.SetUInt32(_bhs, PduFields.RefCmdSNAt, value);
    }

    /// <summary>ExpDataSN, for TASK REASSIGN only (§11.5.6).</summary>
    public uint ExpDataSN
    {
        get => PduFields.UInt32(_bhs, PduFields.ExpDataSNAt);
        set => PduFields.SetUInt32(_bhs, PduFields.ExpDataSNAt, value);
    }

    /// <summary>The 48 header bytes.</summary>
    public Span<byte> Bytes => _bhs;
}
