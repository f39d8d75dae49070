namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// Writes the Basic Header Segment of a Logout Response (RFC 7143 §11.15): the constructor clears the 48 bytes
/// and sets the opcode and the bit fixed at 1; the properties set the named fields.
/// </summary>
/// <remarks>The layout is drawn on <see cref="LogoutResponsePdu"/>.</remarks>
internal readonly ref struct LogoutResponsePduWriter
{
    private readonly Span<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes.</exception>
    public LogoutResponsePduWriter(Span<byte> bhs)
    {
        _bhs = PduFields.Begin(bhs, IscsiOpcode.LogoutResponse, 0x80);
    }

    /// <summary>The outcome of the logout (§11.15.1).</summary>
    public LogoutResponse Response
    {
        get => (LogoutResponse)PduFields.Byte(_bhs, PduFields.ResponseAt);
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

    /// <summary>"If the Logout response code is 0 and the operational ErrorRecoveryLevel is 2, this is the minimum amount of time, in seconds, to wait before attempting task reassignment" (§11.15.3).</summary>
    public ushort Time2Wait
    {
        get => PduFields.UInt16(_bhs, PduFields.Time2WaitAt);
        set => PduFields.SetUInt16(_bhs, PduFields.Time2WaitAt, value);
    }

    /// <summary>"the maximum amount of time, in seconds, after the initial wait (Time2Wait) that the target waits for the allegiance reassignment" (§11.15.4).</summary>
    public ushort Time2Retain
    {
        get => PduFields.UInt16(_bhs, PduFields.Time2RetainAt);
        set => PduFields.SetUInt16(_bhs, PduFields.Time2RetainAt, value);
    }

    /// <summary>The 48 header bytes.</summary>
    public Span<byte> Bytes => _bhs;
}
