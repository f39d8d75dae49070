namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// Writes the Basic Header Segment of a Logout Request (RFC 7143 §11.14): the constructor clears the 48 bytes
/// and sets the opcode and the bit fixed at 1; the properties set the named fields.
/// </summary>
/// <remarks>The layout is drawn on <see cref="LogoutRequestPdu"/>.</remarks>
internal readonly ref struct LogoutRequestPduWriter
{
    private const byte ReasonMask = 0x7F;

    private readonly Span<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes.</exception>
    public LogoutRequestPduWriter(Span<byte> bhs)
    {
        _bhs = PduFields.Begin(bhs, IscsiOpcode.LogoutRequest, 0x80);
    }

    /// <summary>The I bit: "for request PDUs, the I bit set to 1 is an immediate delivery marker" (§11.2.1.1).</summary>
    public bool IsImmediate
    {
        get => PduFields.IsImmediate(_bhs);
        set => PduFields.SetImmediate(_bhs, value);
    }

    /// <summary>The reason code (§11.14.1).</summary>
    public LogoutReason Reason
    {
        get => (LogoutReason)PduFields.Bits(_bhs, PduFields.FlagsAt, ReasonMask);
        set => PduFields.SetBits(_bhs, PduFields.FlagsAt, ReasonMask, (byte)value);
    }

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag
    {
        get => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);
        set => PduFields.SetUInt32(_bhs, PduFields.InitiatorTaskTagAt, value);
    }

    /// <summary>"This is the connection ID of the connection to be closed" (§11.14.3); reserved when the reason is close the session.</summary>
    public ushort Cid
    {
        get => PduFields.UInt16(_bhs, PduFields.CidAt);
        set => PduFields.SetUInt16(_bhs, PduFields.CidAt, value);
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

    /// <summary>The 48 header bytes.</summary>
    public Span<byte> Bytes => _bhs;
}
