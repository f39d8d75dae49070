using Targetd.Iscsi.Server;

namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// Writes the Basic Header Segment of a Login Response (RFC 7143 §11.13): the constructor clears the 48 bytes
/// and sets the opcode; the properties set the named fields.
/// </summary>
/// <remarks>The layout is drawn on <see cref="LoginResponsePdu"/>.</remarks>
internal readonly ref struct LoginResponsePduWriter
{
    private const byte FlagsMask = 0xC0;
    private const byte CurrentStageMask = 0x0C;
    private const int CurrentStageShift = 2;
    private const byte NextStageMask = 0x03;

    private readonly Span<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes.</exception>
    public LoginResponsePduWriter(Span<byte> bhs)
    {
        _bhs = PduFields.Begin(bhs, IscsiOpcode.LoginResponse, 0);
    }

    /// <summary>The T and C bits (§11.13.6, §11.13.7).</summary>
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

    /// <summary>"Version-active": the version the target selected (§11.13.2).</summary>
    public byte VersionActive
    {
        get => PduFields.Byte(_bhs, PduFields.VersionActiveAt);
        set => PduFields.SetByte(_bhs, PduFields.VersionActiveAt, value);
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

    /// <summary>Status-Class and Status-Detail as one value (§11.13.5).</summary>
    public LoginStatus Status
    {
        get => (LoginStatus)PduFields.UInt16(_bhs, PduFields.StatusClassAt);
        set => PduFields.SetUInt16(_bhs, PduFields.StatusClassAt, (ushort)value);
    }

    /// <summary>The 48 header bytes.</summary>
    public Span<byte> Bytes => _bhs;
}
