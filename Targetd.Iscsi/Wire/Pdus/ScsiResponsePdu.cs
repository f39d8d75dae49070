using Targetd.Iscsi.Scsi;

namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// A read-only view of the Basic Header Segment of a SCSI Response (RFC 7143 §11.4).
/// </summary>
/// <remarks>
/// <code>
/// Byte|       0       |       1       |       2       |       3       |
///     |0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|
///   0 |.|.| 0x21      |1|. .|o|u|O|U|.| Response      | Status        |
///   4 |TotalAHSLength | DataSegmentLength                             |
///   8 | Reserved, 8 bytes                                             |
///  16 | Initiator Task Tag                                            |
///  20 | SNACK Tag or Reserved                                         |
///  24 | StatSN                                                        |
///  28 | ExpCmdSN                                                      |
///  32 | MaxCmdSN                                                      |
///  36 | ExpDataSN or Reserved                                         |
///  40 | Bidirectional Read Residual Count or Reserved                 |
///  44 | Residual Count or Reserved                                    |
///  48 | Header-Digest (optional), Data Segment (sense and response dat|
/// </code>
/// </remarks>
internal readonly ref struct ScsiResponsePdu
{
    private const byte FlagsMask = 0x1E;

    private readonly ReadOnlySpan<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes or holds another opcode.</exception>
    public ScsiResponsePdu(ReadOnlySpan<byte> bhs) => _bhs = PduFields.View(bhs, IscsiOpcode.ScsiResponse);

    /// <summary>The o, u, O and U residual bits (§11.4.1).</summary>
    public ScsiResponseFlags Flags => (ScsiResponseFlags)PduFields.Bits(_bhs, PduFields.FlagsAt, FlagsMask);

    /// <summary>"This field contains the iSCSI service response" (§11.4.3).</summary>
    public ScsiServiceResponse Response => (ScsiServiceResponse)PduFields.Byte(_bhs, PduFields.ResponseAt);

    /// <summary>"The Status field is used to report the SCSI status of the command", valid when Response is 0 (§11.4.2).</summary>
    public ScsiStatus Status => (ScsiStatus)PduFields.Byte(_bhs, PduFields.StatusAt);

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5).</summary>
    public int DataSegmentLength => PduFields.DataSegmentLength(_bhs);

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);

    /// <summary>The SNACK Tag of the last R-Data SNACK the target honoured, or 0 (§11.4.4).</summary>
    public uint SnackTag => PduFields.UInt32(_bhs, PduFields.SnackTagAt);

    /// <summary>StatSN: the status sequence number on this connection (§11.4.9).</summary>
    public uint StatSN => PduFields.UInt32(_bhs, PduFields.StatSNAt);

    /// <summary>ExpCmdSN: the next CmdSN the target expects (§11.4.10).</summary>
    public uint ExpCmdSN => PduFields.UInt32(_bhs, PduFields.ExpCmdSNAt);

    /// <summary>MaxCmdSN: the highest CmdSN the target accepts (§11.4.10).</summary>
    public uint MaxCmdSN => PduFields.UInt32(_bhs, PduFields.MaxCmdSNAt);

    /// <summary>"The number of R2T and Data-In (read) PDUs the target has sent for the command" (§11.4.8).</summary>
    public uint ExpDataSN => PduFields.UInt32(_bhs, PduFields.ExpDataSNAt);

    /// <summary>The Bidirectional Read Residual Count, valid with the o or u bit (§11.4.6).</summary>
    public uint BidirectionalReadResidualCount => PduFields.UInt32(_bhs, PduFields.BidirectionalReadResidualCountAt);

    /// <summary>The Residual Count, valid with the O or U bit (§11.4.5).</summary>
    public uint ResidualCount => PduFields.UInt32(_bhs, PduFields.ResidualCountAt);

    /// <summary>The 48 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bhs;
}
