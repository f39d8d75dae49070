namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// A read-only view of the Basic Header Segment of a Login Request (RFC 7143 §11.12).
/// </summary>
/// <remarks>
/// <code>
/// Byte|       0       |       1       |       2       |       3       |
///     |0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|
///   0 |.|1| 0x03      |T|C|.|.|CSG|NSG| Version-max   | Version-min   |
///   4 |TotalAHSLength | DataSegmentLength                             |
///   8 | ISID                                                          |
///  12 | ISID (continued)              | TSIH                          |
///  16 | Initiator Task Tag                                            |
///  20 | CID                           | Reserved                      |
///  24 | CmdSN                                                         |
///  28 | ExpStatSN or Reserved                                         |
///  32 | Reserved, 16 bytes                                            |
///  48 | DataSegment (login parameters in text request format)         |
/// </code>
/// </remarks>
internal readonly ref struct LoginRequestPdu
{
    private const byte FlagsMask = 0xC0;
    private const byte CurrentStageMask = 0x0C;
    private const int CurrentStageShift = 2;
    private const byte NextStageMask = 0x03;

    private readonly ReadOnlySpan<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes or holds another opcode.</exception>
    public LoginRequestPdu(ReadOnlySpan<byte> bhs) => _bhs = PduFields.View(bhs, IscsiOpcode.LoginRequest);

    /// <summary>The T and C bits (§11.12.1, §11.12.2).</summary>
    public LoginFlags Flags => (LoginFlags)PduFields.Bits(_bhs, PduFields.FlagsAt, FlagsMask);

    /// <summary>CSG, the current stage (§11.12.3).</summary>
    public LoginStage CurrentStage => (LoginStage)(PduFields.Bits(_bhs, PduFields.FlagsAt, CurrentStageMask) >> CurrentStageShift);

    /// <summary>NSG, the next stage; "valid only when the T bit is 1" (§11.12.3).</summary>
    public LoginStage NextStage => (LoginStage)PduFields.Bits(_bhs, PduFields.FlagsAt, NextStageMask);

    /// <summary>"Version-max": the highest supported version (§11.12.4.1, §11.13.1); 0x00 today.</summary>
    public byte VersionMax => PduFields.Byte(_bhs, PduFields.VersionMaxAt);

    /// <summary>"Version-min": the lowest supported version (§11.12.4.2); 0x00 today.</summary>
    public byte VersionMin => PduFields.Byte(_bhs, PduFields.VersionMinAt);

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5).</summary>
    public int DataSegmentLength => PduFields.DataSegmentLength(_bhs);

    /// <summary>The ISID, the initiator part of the session identifier, as a 48-bit number (§11.12.5).</summary>
    public ulong Isid => PduFields.UInt48(_bhs, PduFields.IsidAt);

    /// <summary>"The TSIH is the target-assigned session-identifying handle" (§11.12.6); 0 in a leading login.</summary>
    public ushort Tsih => PduFields.UInt16(_bhs, PduFields.TsihAt);

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);

    /// <summary>"The CID provides a unique ID for this connection within the session" (§11.12.7).</summary>
    public ushort Cid => PduFields.UInt16(_bhs, PduFields.CidAt);

    /// <summary>CmdSN: the command sequence number of this request (§11.3.2).</summary>
    public uint CmdSN => PduFields.UInt32(_bhs, PduFields.CmdSNAt);

    /// <summary>ExpStatSN: the StatSN the initiator expects next, acknowledging the ones before (§11.3.3).</summary>
    public uint ExpStatSN => PduFields.UInt32(_bhs, PduFields.ExpStatSNAt);

    /// <summary>The 48 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bhs;
}
