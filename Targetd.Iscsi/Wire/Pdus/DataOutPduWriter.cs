namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// Writes the Basic Header Segment of a SCSI Data-Out (RFC 7143 §11.7): the constructor clears the 48 bytes
/// and sets the opcode; the properties set the named fields.
/// </summary>
/// <remarks>The layout is drawn on <see cref="DataOutPdu"/>.</remarks>
internal readonly ref struct DataOutPduWriter
{
    private readonly Span<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes.</exception>
    public DataOutPduWriter(Span<byte> bhs)
    {
        _bhs = PduFields.Begin(bhs, IscsiOpcode.DataOut, 0);
    }

    /// <summary>"For outgoing data, this bit is 1 for the last PDU of unsolicited data or the last PDU of a sequence that answers an R2T" (§11.7.1).</summary>
    public bool IsFinal
    {
        get => PduFields.IsFinal(_bhs);
        set => PduFields.SetFinal(_bhs, value);
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

    /// <summary>"On outgoing data, the Target Transfer Tag is provided to the target if the transfer is honoring an R2T"; 0xffffffff for unsolicited data (§11.7.4).</summary>
    public uint TargetTransferTag
    {
        get => PduFields.UInt32(_bhs, PduFields.TargetTransferTagAt);
        set => PduFields.SetUInt32(_bhs, PduFields.TargetTransferTagAt, value);
    }

    /// <summary>ExpStatSN: the StatSN the initiator expects next, acknowledging the ones before (§11.3.3).</summary>
    public uint ExpStatSN
    {
        get => PduFields.UInt32(_bhs, PduFields.ExpStatSNAt);
        set => PduFields.SetUInt32(_bhs, PduFields.ExpStatSNAt, value);
    }

    /// <summary>"For output (write) data PDUs, the DataSN is the Data-Out PDU number within the current output sequence" (§11.7.5).</summary>
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

    /// <summary>The 48 header bytes.</summary>
    public Span<byte> Bytes => _bhs;
}
