namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// Writes the Basic Header Segment of a NOP-Out (RFC 7143 §11.18): the constructor clears the 48 bytes
/// and sets the opcode and the bit fixed at 1; the properties set the named fields.
/// </summary>
/// <remarks>The layout is drawn on <see cref="NopOutPdu"/>.</remarks>
internal readonly ref struct NopOutPduWriter
{
    private readonly Span<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes.</exception>
    public NopOutPduWriter(Span<byte> bhs)
    {
        _bhs = PduFields.Begin(bhs, IscsiOpcode.NopOut, 0x80);
    }

    /// <summary>The I bit: "for request PDUs, the I bit set to 1 is an immediate delivery marker" (§11.2.1.1).</summary>
    public bool IsImmediate
    {
        get => PduFields.IsImmediate(_bhs);
        set => PduFields.SetImmediate(_bhs, value);
    }

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5).</summary>
    public int DataSegmentLength
    {
        get => PduFields.DataSegmentLength(_bhs);
        set => PduFields.SetDataSegmentLength(_bhs, value);
    }

    /// <summary>"A LUN MUST be set to a correct value when the Target Transfer Tag is valid" (§11.18).</summary>
    public ulong Lun
    {
        get => PduFields.UInt64(_bhs, PduFields.LunAt);
        set => PduFields.SetUInt64(_bhs, PduFields.LunAt, value);
    }

    /// <summary>"The NOP-Out MUST have the Initiator Task Tag set to a valid value only if a response in the form of a NOP-In is requested" (§11.18.1); 0xffffffff otherwise.</summary>
    public uint InitiatorTaskTag
    {
        get => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);
        set => PduFields.SetUInt32(_bhs, PduFields.InitiatorTaskTagAt, value);
    }

    /// <summary>"The Target Transfer Tag is a target-assigned identifier for the operation" when answering a NOP-In; 0xffffffff otherwise (§11.18.2).</summary>
    public uint TargetTransferTag
    {
        get => PduFields.UInt32(_bhs, PduFields.TargetTransferTagAt);
        set => PduFields.SetUInt32(_bhs, PduFields.TargetTransferTagAt, value);
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

    /// <summary>The 48 header bytes.</summary>
    public Span<byte> Bytes => _bhs;
}
