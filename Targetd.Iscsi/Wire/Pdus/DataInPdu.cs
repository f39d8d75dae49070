using Targetd.Iscsi.Scsi;

namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// A read-only view of the Basic Header Segment of a SCSI Data-In (RFC 7143 §11.7).
/// </summary>
/// <remarks>
/// <code>
/// Byte|       0       |       1       |       2       |       3       |
///     |0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|
///   0 |.|.| 0x25      |F|A|0 0 0|O|U|S| Reserved      | Status or Rsvd|
///   4 |TotalAHSLength | DataSegmentLength                             |
///   8 | LUN or Reserved, 8 bytes                                      |
///  16 | Initiator Task Tag                                            |
///  20 | Target Transfer Tag or 0xffffffff                             |
///  24 | StatSN or Reserved                                            |
///  28 | ExpCmdSN                                                      |
///  32 | MaxCmdSN                                                      |
///  36 | DataSN                                                        |
///  40 | Buffer Offset                                                 |
///  44 | Residual Count                                                |
///  48 | Header-Digest (optional), DataSegment, Data-Digest            |
/// </code>
/// </remarks>
internal readonly ref struct DataInPdu
{
    private const byte FlagsMask = 0xC7;

    private readonly ReadOnlySpan<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes or holds another opcode.</exception>
    public DataInPdu(ReadOnlySpan<byte> bhs) => _bhs = PduFields.View(bhs, IscsiOpcode.DataIn);

    /// <summary>The F, A, O, U and S bits (§11.7.1-§11.7.3).</summary>
    public DataInFlags Flags => (DataInFlags)PduFields.Bits(_bhs, PduFields.FlagsAt, FlagsMask);

    /// <summary>The command's SCSI status, valid with the S bit (§11.7.3).</summary>
    public ScsiStatus Status => (ScsiStatus)PduFields.Byte(_bhs, PduFields.StatusAt);

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5).</summary>
    public int DataSegmentLength => PduFields.DataSegmentLength(_bhs);

    /// <summary>The 8-byte Logical Unit Number field (§11.2.1.6).</summary>
    public ulong Lun => PduFields.UInt64(_bhs, PduFields.LunAt);

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);

    /// <summary>"On incoming data, the Target Transfer Tag and LUN MUST be provided by the target if the A bit is set to 1; otherwise, they are reserved" (§11.7.4).</summary>
    public uint TargetTransferTag => PduFields.UInt32(_bhs, PduFields.TargetTransferTagAt);

    /// <summary>StatSN, valid with the S bit (§11.7.3).</summary>
    public uint StatSN => PduFields.UInt32(_bhs, PduFields.StatSNAt);

    /// <summary>ExpCmdSN: the next CmdSN the target expects (§11.4.10).</summary>
    public uint ExpCmdSN => PduFields.UInt32(_bhs, PduFields.ExpCmdSNAt);

    /// <summary>MaxCmdSN: the highest CmdSN the target accepts (§11.4.10).</summary>
    public uint MaxCmdSN => PduFields.UInt32(_bhs, PduFields.MaxCmdSNAt);

    /// <summary>"For input (read) or bidirectional Data-In PDUs, the DataSN is the input PDU number within the data transfer for the command" (§11.7.5).</summary>
    public uint DataSN => PduFields.UInt32(_bhs, PduFields.DataSNAt);

    /// <summary>"The Buffer Offset field contains the offset of this PDU payload data within the complete data transfer" (§11.7.6).</summary>
    public uint BufferOffset => PduFields.UInt32(_bhs, PduFields.BufferOffsetAt);

    /// <summary>The Residual Count, valid with the S bit and the O or U bit (§11.7.3, §11.4.5).</summary>
    public uint ResidualCount => PduFields.UInt32(_bhs, PduFields.ResidualCountAt);

    /// <summary>Whether the S bit is set: the PDU carries the command's status (§11.7.3).</summary>
    public bool HasStatus => (Flags & DataInFlags.Status) != 0;

    /// <summary>The 48 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bhs;
}
