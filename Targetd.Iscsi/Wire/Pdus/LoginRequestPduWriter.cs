namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// Writes the Basic Header Segment of a Login Request (RFC 7143 §11.12): the constructor clears the 48 bytes
/// and sets the opcode and the I bit, always 1; the properties set the named fields.
/// </summary>
/// <remarks>The layout is drawn on <see cref="LoginRequestPdu"/>.</remarks>
internal readonly ref struct LoginRequestPduWriter
{
    private const byte FlagsMask = 0xC0;
    private const byte CurrentStageMask = 0x0C;
    private const int CurrentStageShift = 2;
    private const byte NextStageMask = 0x03;

    private readonly Span<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes.</exception>
    public LoginRequestPduWriter(Span<byte> bhs)
    {
        _bhs = PduFields.Begin(bhs, IscsiOpcode.LoginRequest, 0);
        PduFields.SetImmediate(_bhs, true); // §11.12: "Byte 0: .|1| 0x03"
    }

    /// <summary>The T and C bits (§11.12.1, §11.12.2).</summary>
    public LoginFlags Flags
    {
        get => (LoginFlags)PduFields.Bits(_bhs, PduFields.FlagsAt, FlagsMask);
        set => PduFields.SetBits(_bhs, PduFields.FlagsAt, FlagsMask, (byte)value);
    }

    /// <summary>CSG, the current stage (§11.12.3).</summary>
    public LoginStage CurrentStage
    {
        get => (LoginStage)(PduFields.Bits(_bhs, PduFields.FlagsAt, CurrentStageMask) >> CurrentStageShift);
        set => PduFields.SetBits(_bhs, PduFields.FlagsAt, CurrentStageMask, (byte)((byte)value << CurrentStageShift));
    }

    /// <summary>NSG, the next stage; "valid only when the T bit is 1" (§11.12.3).</summary>
    public LoginStage NextStage
    {
        get => (LoginStage)PduFields.Bits(_bhs, PduFields.FlagsAt, NextStageMask);
        set => PduFields.SetBits(_bhs, PduFields.FlagsAt, NextStageMask, (byte)value);
    }

    /// <summary>"Version-max": the highest supported version (§11.12.4.1, §11.13.1); 0x00 today.</summary>
    public byte VersionMax
    {
        get => PduFields.Byte(_bhs, PduFields.VersionMaxAt);
        set => PduFields.SetByte(_bhs, PduFields.VersionMaxAt, value);
    }

    /// <summary>"Version-min": the lowest supported version (§11.12.4.2); 0x00 today.</summary>
    public byte VersionMin
    {
        get => PduFields.Byte(_bhs, PduFields.VersionMinAt);
        set => PduFields.SetByte(_bhs, PduFields.VersionMinAt, value);
    }

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5).</summary>
    public int DataSegmentLength
    {
        get => PduFields.DataSegmentLength(_bhs);
        set => PduFields.SetDataSegmentLength(_bhs, value);
    }

    /// <summary>The ISID, the initiator part of the session identifier, as a 48-bit number (§11.12.5).</summary>
    public ulong Isid
    {
        get => PduFields.UInt48(_bhs, PduFields.IsidAt);
        set => PduFields.SetUInt48(_bhs, PduFields.IsidAt, value);
    }

    /// <summary>"The TSIH is the target-assigned session-identifying handle" (§11.12.6); 0 in a leading login.</summary>
    public ushort Tsih
    {
        get => PduFields.UInt16(_bhs, PduFields.TsihAt);
        set => PduFields.SetUInt16(_bhs, PduFields.TsihAt, value);
    }

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag
    {
        get => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);
        set => PduFields.SetUInt32(_bhs, PduFields.InitiatorTaskTagAt, value);
    }

    /// <summary>"The CID provides a unique ID for this connection within the session" (§11.12.7).</summary>
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
