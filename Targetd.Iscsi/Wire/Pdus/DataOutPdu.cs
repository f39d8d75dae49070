namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// A read-only view of the Basic Header Segment of a SCSI Data-Out (RFC 7143 §11.7).
/// </summary>
/// <remarks>
/// <code>
/// Byte|       0       |       1       |       2       |       3       |
///     |0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|
///   0 |.|.| 0x05      |F| Reserved    | Reserved                      |
///   4 |TotalAHSLength | DataSegmentLength                             |
///   8 | LUN or Reserved, 8 bytes                                      |
///  16 | Initiator Task Tag                                            |
///  20 | Target Transfer Tag or 0xffffffff                             |
///  24 | Reserved                                                      |
///  28 | ExpStatSN                                                     |
///  32 | Reserved                                                      |
///  36 | DataSN                                                        |
///  40 | Buffer Offset                                                 |
///  44 | Reserved                                                      |
///  48 | Header-Digest (optional), DataSegment, Data-Digest            |
/// </code>
/// </remarks>
internal readonly ref struct DataOutPdu
{
    private readonly ReadOnlySpan<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes or holds another opcode.</exception>
    public DataOutPdu(ReadOnlySpan<byte> bhs) => _bhs = PduFields.View(bhs, IscsiOpcode.DataOut);

    /// <summary>"For outgoing data, this bit is 1 for the last PDU of unsolicited data or the last PDU of a sequence that answers an R2T" (§11.7.1).</summary>
    public bool IsFinal => PduFields.IsFinal(_bhs);

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5).</summary>
    public int DataSegmentLength => PduFields.DataSegmentLength(_bhs);

    /// <summary>The 8-byte Logical Unit Number field (§11.2.1.6).</summary>
    public ulong Lun => PduFields.UInt64(_bhs, PduFields.LunAt);

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);

    /// <summary>"On outgoing data, the Target Transfer Tag is provided to the target if the transfer is honoring an R2T"; 0xffffffff for unsolicited data (§11.7.4).</summary>
    public uint TargetTransferTag => PduFields.UInt32(_bhs, PduFields.TargetTransferTagAt);

    /// <summary>ExpStatSN: the StatSN the initiator expects next, acknowledging the ones before (§11.3.3).</summary>
    public uint ExpStatSN => PduFields.UInt32(_bhs, PduFields.ExpStatSNAt);

    /// <summary>"For output (write) data PDUs, the DataSN is the Data-Out PDU number within the current output sequence" (§11.7.5).</summary>
    public uint DataSN => PduFields.UInt32(_bhs, PduFields.DataSNAt);

    /// <summary>"The Buffer Offset field contains the offset of this PDU payload data within the complete data transfer" (§11.7.6).</summary>
    public uint BufferOffset => PduFields.UInt32(_bhs, PduFields.BufferOffsetAt);

    /// <summary>The 48 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bhs;
}
