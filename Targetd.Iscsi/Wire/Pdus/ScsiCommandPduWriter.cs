namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// Writes the Basic Header Segment of a SCSI Command (RFC 7143 §11.3): the constructor clears the 48 bytes
/// and sets the opcode; the properties set the named fields.
/// </summary>
/// <remarks>The layout is drawn on <see cref="ScsiCommandPdu"/>.</remarks>
internal readonly ref struct ScsiCommandPduWriter
{
    private const byte FlagsMask = 0xE0;
    private const byte AttributeMask = 0x07;

    private readonly Span<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes.</exception>
    public ScsiCommandPduWriter(Span<byte> bhs)
    {
        _bhs = PduFields.Begin(bhs, IscsiOpcode.ScsiCommand, 0);
    }

    /// <summary>The I bit: "for request PDUs, the I bit set to 1 is an immediate delivery marker" (§11.2.1.1).</summary>
    public bool IsImmediate
    {
        get => PduFields.IsImmediate(_bhs);
        set => PduFields.SetImmediate(_bhs, value);
    }

    /// <summary>The F, R and W bits (§11.3.1).</summary>
    public ScsiCommandFlags Flags
    {
        get => (ScsiCommandFlags)PduFields.Bits(_bhs, PduFields.FlagsAt, FlagsMask);
        set => PduFields.SetBits(_bhs, PduFields.FlagsAt, FlagsMask, (byte)value);
    }

    /// <summary>ATTR, the task attribute (§11.3.1).</summary>
    public TaskAttribute Attribute
    {
        get => (TaskAttribute)PduFields.Bits(_bhs, PduFields.FlagsAt, AttributeMask);
        set => PduFields.SetBits(_bhs, PduFields.FlagsAt, AttributeMask, (byte)value);
    }

    /// <summary>"TotalAHSLength: the total length of all AHS header segments in units of four-byte words" (§11.2.1.4).</summary>
    public int TotalAhsLength
    {
        get => PduFields.TotalAhsLength(_bhs);
        set => PduFields.SetTotalAhsLength(_bhs, value);
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

    /// <summary>"The Expected Data Transfer Length field ... contains the number of bytes of data involved in this SCSI operation" (§11.3.4).</summary>
    public uint ExpectedDataTransferLength
    {
        get => PduFields.UInt32(_bhs, PduFields.ExpectedDataTransferLengthAt);
        set => PduFields.SetUInt32(_bhs, PduFields.ExpectedDataTransferLengthAt, value);
    }

    /// <summary>CmdSN: the command sequence number of this request (§11.3.2).</summary>
    public uint CmdSN
    {
        get => PduFields.UInt32(_bhs, PduFields.CmdSNAt);
        set => PduFields.SetUInt32(_bhs, PduFields.CmdSNAt, value);
    }

    /// <summary>ExpStatSN: the StatSN the initiator expects next, acknowledging the ones before (§11.3.3).</summary>
    public uint ExpStatSN
    {
        get => PduFields.UInt32(_bhs, PduFields.ExpStatSNAt);
        set => PduFields.SetUInt32(_bhs, PduFields.ExpStatSNAt, value);
    }

    /// <summary>The 16 CDB bytes (§11.3.5), to copy a CDB into; a shorter CDB leaves the rest zero.</summary>
    public Span<byte> Cdb => _bhs.Slice(PduFields.CdbAt, PduFields.CdbLength);

    /// <summary>The 48 header bytes.</summary>
    public Span<byte> Bytes => _bhs;
}
