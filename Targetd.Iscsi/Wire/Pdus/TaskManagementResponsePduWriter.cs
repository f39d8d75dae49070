namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// Writes the Basic Header Segment of a Task Management Function Response (RFC 7143 §11.6): the constructor clears the 48 bytes
/// and sets the opcode and the bit fixed at 1; the properties set the named fields.
/// </summary>
/// <remarks>The layout is drawn on <see cref="TaskManagementResponsePdu"/>.</remarks>
internal readonly ref struct TaskManagementResponsePduWriter
{
    private readonly Span<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes.</exception>
    public TaskManagementResponsePduWriter(Span<byte> bhs)
    {
        _bhs = PduFields.Begin(bhs, IscsiOpcode.TaskManagementResponse, 0x80);
    }

    /// <summary>The outcome of the function (§11.6.1).</summary>
    public TaskManagementResponse Response
    {
        get => (TaskManagementResponse)PduFields.Byte(_bhs, PduFields.ResponseAt);
        set => PduFields.SetByte(_bhs, PduFields.ResponseAt, (byte)value);
    }

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag
    {
        get => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);
        set => PduFields.SetUInt32(_bhs, PduFields.InitiatorTaskTagAt, value);
    }

    /// <summary>StatSN: the status sequence number on this connection (§11.4.9).</summary>
    public uint StatSN
    {
        get => PduFields.UInt32(_bhs, PduFields.StatSNAt);
        set => PduFields.SetUInt32(_bhs, PduFields.StatSNAt, value);
    }

    /// <summary>ExpCmdSN: the next CmdSN the target expects (§11.4.10).</summary>
    public uint ExpCmdSN
    {
        get => PduFields.UInt32(_bhs, PduFields.ExpCmdSNAt);
        set => PduFields.SetUInt32(_bhs, PduFields.ExpCmdSNAt, value);
    }

    /// <summary>MaxCmdSN: the highest CmdSN the target accepts (§11.4.10).</summary>
    public uint MaxCmdSN
    {
        get => PduFields.UInt32(_bhs, PduFields.MaxCmdSNAt);
        set => PduFields.SetUInt32(_bhs, PduFields.MaxCmdSNAt, value);
    }

    /// <summary>The 48 header bytes.</summary>
    public Span<byte> Bytes => _bhs;
}
