namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// A read-only view of the Basic Header Segment of a Ready To Transfer (R2T) (RFC 7143 §11.8).
/// </summary>
/// <remarks>
/// <code>
/// Byte|       0       |       1       |       2       |       3       |
///     |0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|0 1 2 3 4 5 6 7|
///   0 |.|.| 0x31      |1| Reserved    | Reserved                      |
///   4 |TotalAHSLength | DataSegmentLength (0)                         |
///   8 | Logical Unit Number (LUN), 8 bytes                            |
///  16 | Initiator Task Tag                                            |
///  20 | Target Transfer Tag                                           |
///  24 | StatSN                                                        |
///  28 | ExpCmdSN                                                      |
///  32 | MaxCmdSN                                                      |
///  36 | R2TSN                                                         |
///  40 | Buffer Offset                                                 |
///  44 | Desired Data Transfer Length                                  |
///  48 | Header-Digest (optional)                                      |
/// </code>
/// </remarks>
internal readonly ref struct ReadyToTransferPdu
{
    private readonly ReadOnlySpan<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes or holds another opcode.</exception>
    public ReadyToTransferPdu(ReadOnlySpan<byte> bhs) => _bhs = PduFields.View(bhs, IscsiOpcode.ReadyToTransfer);

    /// <summary>The 8-byte Logical Unit Number field (§11.2.1.6).</summary>
    public ulong Lun => PduFields.UInt64(_bhs, PduFields.LunAt);

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);

    /// <summary>"The target assigns its own tag to each R2T request that it sends to the initiator" (§11.8.5).</summary>
    public uint TargetTransferTag => PduFields.UInt32(_bhs, PduFields.TargetTransferTagAt);

    /// <summary>"The StatSN field will contain the next StatSN" but is not advanced by the R2T (§11.8.3).</summary>
    public uint StatSN => PduFields.UInt32(_bhs, PduFields.StatSNAt);

    /// <summary>ExpCmdSN: the next CmdSN the target expects (§11.4.10).</summary>
    public uint ExpCmdSN => PduFields.UInt32(_bhs, PduFields.ExpCmdSNAt);

    /// <summary>MaxCmdSN: the highest CmdSN the target accepts (§11.4.10).</summary>
    public uint MaxCmdSN => PduFields.UInt32(_bhs, PduFields.MaxCmdSNAt);

    /// <summary>"R2TSN is the R2T PDU input PDU number within the command identified by the Initiator Task Tag" (§11.8.2).</summary>
    public uint R2TSN => PduFields.UInt32(_bhs, PduFields.R2TSNAt);

    /// <summary>"The target therefore also specifies a buffer offset that indicates the point at which the data transfer should begin" (§11.8.4).</summary>
    public uint BufferOffset => PduFields.UInt32(_bhs, PduFields.BufferOffsetAt);

    /// <summary>"The target specifies how many bytes it wants the initiator to send because of this R2T PDU" (§11.8.4).</summary>
    public uint DesiredDataTransferLength => PduFields.UInt32(_bhs, PduFields.DesiredDataTransferLengthAt);

    /// <summary>The 48 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bhs;
}
