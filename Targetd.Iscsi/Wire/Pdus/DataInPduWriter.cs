using Targetd.Iscsi.Scsi;

namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// Writes the Basic Header Segment of a SCSI Data-In (RFC 7143 §11.7): the constructor clears the 48 bytes
/// and sets the opcode; the properties set the named fields.
/// </summary>
/// <remarks>The layout is drawn on <see cref="DataInPdu"/>.</remarks>
internal readonly ref struct DataInPduWriter
{
    private const byte FlagsMask = 0xC7;

    private readonly Span<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes.</exception>
    public DataInPduWriter(Span<byte> bhs)
    {
        _bhs = PduFields.Begin(bhs, IscsiOpcode.DataIn, 0);
    }

    /// <summary>The F, A, O, U and S bits (§11.7.1-§11.7.3).</summary>
    public DataInFlags Flags
    {
        get => (DataInFlags)PduFields.Bits(_bhs, PduFields.FlagsAt, FlagsMask);
        set => PduFields.SetBits(_bhs, PduFields.FlagsAt, FlagsMask, (byte)value);
    }

    /// <summary>The command's SCSI status, valid with the S bit (§11.7.3).</summary>
    public ScsiStatus Status
    {
        get => (ScsiStatus)PduFields.Byte(_bhs, PduFields.StatusAt);
        set => PduFields.SetByte(_bhs, PduFields.StatusAt, (byte)value);
    }

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5).</summary>
    public int DataSegmentLength
    {
        get => PduFields.DataSegmentLength(_bhs);
        set => PduFields.SetDataSegmentLength(_bhs, value);
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

    /// <summary>"On incoming data, the Target Transfer Tag and LUN MUST be provided by the target if the A bit is set to 1; otherwise, they are reserved" (§11.7.4).</summary>
    public uint TargetTransferTag
    {
        get => PduFields.UInt32(_bhs, PduFields.TargetTransferTagAt);
        set => PduFields.SetUInt32(_bhs, PduFields.TargetTransferTagAt, value);
    }

    /// <summary>StatSN, valid with the S bit (§11.7.3).</summary>
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

    /// <summary>"For input (read) or bidirectional Data-In PDUs, the DataSN is the input PDU number within the data transfer for the command" (§11.7.5).</summary>
    public uint DataSN
    {
        get => PduFields.UInt32(_bhs, PduFields.DataSNAt);
        set => PduFields.SetUInt32(_bhs, PduFields.DataSNAt, value);
    }

    /// <summary>"The Buffer Offset field contains the offset of this PDU payload data within the complete data transfer" (§11.7.6).</summary>
    public uint BufferOffset
    {
        get => PduFields.UInt32(_bhs, PduFields.BufferOffsetAt);
        set => PduFields.SetUInt32(_bhs, PduFields.BufferOffsetAt, value);
    }

    /// <summary>The Residual Count, valid with the S bit and the O or U bit (§11.7.3, §11.4.5).</summary>
    public uint ResidualCount
    {
        get => PduFields.UInt32(_bhs, PduFields.ResidualCountAt);
        set => PduFields.SetUInt32(_bhs, PduFields.ResidualCountAt, value);
    }

    /// <summary>The 48 header bytes.</summary>
    public Span<byte> Bytes => _bhs;
}
