namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// A read-only view of the Basic Header Segment of a SCSI Command (RFC 7143 §11.3).
/// </summary>
/// <remarks>
/// <code>
/// Byte|       0       |       1       |       2       |       3       |
///     |0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|
///   0 |.|I| 0x01      |F|R|W|. .|ATTR | Reserved                      |
///   4 |TotalAHSLength | DataSegmentLength                             |
///   8 | Logical Unit Number (LUN), 8 bytes                            |
///  16 | Initiator Task Tag                                            |
///  20 | Expected Data Transfer Length                                 |
///  24 | CmdSN                                                         |
///  28 | ExpStatSN                                                     |
///  32 | SCSI Command Descriptor Block (CDB), 16 bytes                 |
///  48 | AHS (optional), Header-Digest, DataSegment, Data-Digest       |
/// </code>
/// </remarks>
internal readonly ref struct ScsiCommandPdu
{
    private const byte FlagsMask = 0xE0;
    private const byte AttributeMask = 0x07;

    private readonly ReadOnlySpan<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes or holds another opcode.</exception>
    public ScsiCommandPdu(ReadOnlySpan<byte> bhs) => _bhs = PduFields.View(bhs, IscsiOpcode.ScsiCommand);

    /// <summary>The I bit: "for request PDUs, the I bit set to 1 is an immediate delivery marker" (§11.2.1.1).</summary>
    public bool IsImmediate => PduFields.IsImmediate(_bhs);

    /// <summary>The F, R and W bits (§11.3.1).</summary>
    public ScsiCommandFlags Flags => (ScsiCommandFlags)PduFields.Bits(_bhs, PduFields.FlagsAt, FlagsMask);

    /// <summary>ATTR, the task attribute (§11.3.1).</summary>
    public TaskAttribute Attribute => (TaskAttribute)PduFields.Bits(_bhs, PduFields.FlagsAt, AttributeMask);

    /// <summary>"TotalAHSLength: the total length of all AHS header segments in units of four-byte words" (§11.2.1.4).</summary>
    public int TotalAhsLength => PduFields.TotalAhsLength(_bhs);

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5).</summary>
    public int DataSegmentLength => PduFields.DataSegmentLength(_bhs);

    /// <summary>The 8-byte Logical Unit Number field (§11.2.1.6).</summary>
    public ulong Lun => PduFields.UInt64(_bhs, PduFields.LunAt);

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);

    /// <summary>"The Expected Data Transfer Length field ... contains the number of bytes of data involved in this SCSI operation" (§11.3.4).</summary>
    public uint ExpectedDataTransferLength => PduFields.UInt32(_bhs, PduFields.ExpectedDataTransferLengthAt);

    /// <summary>CmdSN: the command sequence number of this request (§11.3.2).</summary>
    public uint CmdSN => PduFields.UInt32(_bhs, PduFields.CmdSNAt);

    /// <summary>ExpStatSN: the StatSN the initiator expects next, acknowledging the ones before (§11.3.3).</summary>
    public uint ExpStatSN => PduFields.UInt32(_bhs, PduFields.ExpStatSNAt);

    /// <summary>"The CDB field contains the SCSI CDB" (§11.3.5): bytes 32-47; longer CDBs continue in an AHS.</summary>
    public ReadOnlySpan<byte> Cdb => _bhs.Slice(PduFields.CdbAt, PduFields.CdbLength);

    /// <summary>The 48 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bhs;
}
