using Targetd.Iscsi.Server;

namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// A read-only view of the Basic Header Segment of a Login Response (RFC 7143 §11.13).
/// </summary>
/// <remarks>
/// <code>
/// Byte|       0       |       1       |       2       |       3       |
///     |0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|
///   0 |.|.| 0x23      |T|C|.|.|CSG|NSG| Version-max   | Version-active|
///   4 |TotalAHSLength | DataSegmentLength                             |
///   8 | ISID                                                          |
///  12 | ISID (continued)              | TSIH                          |
///  16 | Initiator Task Tag                                            |
///  20 | Reserved                                                      |
///  24 | StatSN                                                        |
///  28 | ExpCmdSN                                                      |
///  32 | MaxCmdSN                                                      |
///  36 | Status-Class  | Status-Detail | Reserved                      |
///  40 | Reserved, 8 bytes                                             |
///  48 | DataSegment (login parameters in text request format)         |
/// </code>
/// </remarks>
internal readonly ref struct LoginResponsePdu
{
    private const byte FlagsMask = 0xC0;
    private const byte CurrentStageMask = 0x0C;
    private const int CurrentStageShift = 2;
    private const byte NextStageMask = 0x03;

    private readonly ReadOnlySpan<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes or holds another opcode.</exception>
    public LoginResponsePdu(ReadOnlySpan<byte> bhs) => _bhs = PduFields.View(bhs, IscsiOpcode.LoginResponse);

    /// <summary>The T and C bits (§11.13.6, §11.13.7).</summary>
    public LoginFlags Flags => (LoginFlags)PduFields.Bits(_bhs, PduFields.FlagsAt, FlagsMask);

    /// <summary>CSG, the current stage (§11.12.3).</summary>
    public LoginStage CurrentStage => (LoginStage)(PduFields.Bits(_bhs, PduFields.FlagsAt, CurrentStageMask) >> CurrentStageShift);

    /// <summary>NSG, the next stage; "valid only when the T bit is 1" (§11.12.3).</summary>
    public LoginStage NextStage => (LoginStage)PduFields.Bits(_bhs, PduFields.FlagsAt, NextStageMask);

    /// <summary>"Version-max": the highest supported version (§11.12.4.1, §11.13.1); 0x00 today.</summary>
    public byte VersionMax => PduFields.Byte(_bhs, PduFields.VersionMaxAt);

    /// <summary>"Version-active": the version the target selected (§11.13.2).</summary>
    public byte VersionActive => PduFields.Byte(_bhs, PduFields.VersionActiveAt);

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5).</summary>
    public int DataSegmentLength => PduFields.DataSegmentLength(_bhs);

    /// <summary>The ISID, the initiator part of the session identifier, as a 48-bit number (§11.12.5).</summary>
    public ulong Isid => PduFields.UInt48(_bhs, PduFields.IsidAt);

    /// <summary>"The TSIH is the target-assigned session-identifying handle" (§11.12.6); 0 in a leading login.</summary>
    public ushort Tsih => PduFields.UInt16(_bhs, PduFields.TsihAt);

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);

    /// <summary>StatSN: the status sequence number on this connection (§11.4.9).</summary>
    public uint StatSN => PduFields.UInt32(_bhs, PduFields.StatSNAt);

    /// <summary>ExpCmdSN: the next CmdSN the target expects (§11.4.10).</summary>
    public uint ExpCmdSN => PduFields.UInt32(_bhs, PduFields.ExpCmdSNAt);

    /// <summary>MaxCmdSN: the highest CmdSN the target accepts (§11.4.10).</summary>
    public uint MaxCmdSN => PduFields.UInt32(_bhs, PduFields.MaxCmdSNAt);

    /// <summary>Status-Class and Status-Detail as one value (§11.13.5).</summary>
    public LoginStatus Status => (LoginStatus)PduFields.UInt16(_bhs, PduFields.StatusClassAt);

    /// <summary>The 48 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bhs;
}
