namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// Writes the Basic Header Segment of a Ready To Transfer (R2T) (RFC 7143 §11.8): the constructor clears the 48 bytes
/// and sets the opcode and the bit fixed at 1; the properties set the named fields.
/// </summary>
/// <remarks>The layout is drawn on <see cref="ReadyToTransferPdu"/>.</remarks>
internal readonly ref struct ReadyToTransferPduWriter
{
    private readonly Span<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes.</exception>
    public ReadyToTransferPduWriter(Span<byte> bhs)
    {
        _bhs = PduFields.Begin(bhs, IscsiOpcode.ReadyToTransfer, 0x80);
    }

    /// <summary>The 8-byte Logical Unit Number field (§11.2.1.6).</summary>
    public ulong Lun
    {
        get => PduFields.UInt64(_bhs, PduFields.LunAt);
        set => PduFields.SetUInt64(_bhs, PduFields.LunAt, value);
    }

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag
    {
        get => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);
        set => PduFields.SetUInt32(_bhs, PduFields.InitiatorTaskTagAt, value);
    }

    /// <summary>"The target assigns its own tag to each R2T request that it sends to the initiator" (§11.8.5).</summary>
    public uint TargetTransferTag
    {
        get => PduFields.UInt32(_bhs, PduFields.TargetTransferTagAt);
        set => PduFields.SetUInt32(_bhs, PduFields.TargetTransferTagAt, value);
    }

    /// <summary>"The StatSN field will contain the next StatSN" but is not advanced by the R2T (§11.8.3).</summary>
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

    /// <summary>"R2TSN is the R2T PDU input PDU number within the command identified by the Initiator Task Tag" (§11.8.2).</summary>
    public uint R2TSN
    {
        get => PduFields.UInt32(_bhs, PduFields.R2TSNAt);
        set => PduFields.SetUInt32(_bhs, PduFields.R2TSNAt, value);
    }

    /// <summary>"The target therefore also specifies a buffer offset that indicates the point at which the data transfer should begin" (§11.8.4).</summary>
    public uint BufferOffset
    {
        get => PduFields.UInt32(_bhs, PduFields.BufferOffsetAt);
        set => PduFields.SetUInt32(_bhs, PduFields.BufferOffsetAt, value);
    }

    /// <summary>"The target specifies how many bytes it wants the initiator to send because of this R2T PDU" (§11.8.4).</summary>
    public uint DesiredDataTransferLength
    {
        get => PduFields.UInt32(_bhs, PduFields.DesiredDataTransferLengthAt);
        set => PduFields.SetUInt32(_bhs, PduFields.DesiredDataTransferLengthAt, value);
    }

    /// <summary>The 48 header bytes.</summary>
    public Span<byte> Bytes => _bhs;
}
