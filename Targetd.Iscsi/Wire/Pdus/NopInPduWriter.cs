namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// Writes the Basic Header Segment of a NOP-In (RFC 7143 §11.19): the constructor clears the 48 bytes
/// and sets the opcode and the bit fixed at 1; the properties set the named fields.
/// </summary>
/// <remarks>The layout is drawn on <see cref="NopInPdu"/>.</remarks>
internal readonly ref struct NopInPduWriter
{
    private readonly Span<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes.</exception>
    public NopInPduWriter(Span<byte> bhs)
    {
        _bhs = PduFields.Begin(bhs, IscsiOpcode.NopIn, 0x80);
    }

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5).</summary>
    public int DataSegmentLength
    {
        get => PduFields.DataSegmentLength(_bhs);
        set => PduFields.SetDataSegmentLength(_bhs, value);
    }

    /// <summary>"A LUN MUST be set to a correct value when the Target Transfer Tag is valid (not the reserved value 0xffffffff)" (§11.19.3).</summary>
    public ulong Lun
    {
        get => PduFields.UInt64(_bhs, PduFields.LunAt);
        set => PduFields.SetUInt64(_bhs, PduFields.LunAt, value);
    }

    /// <summary>The ITT of the NOP-Out answered, or 0xffffffff when the target pings on its own (§11.19).</summary>
    public uint InitiatorTaskTag
    {
        get => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);
        set => PduFields.SetUInt32(_bhs, PduFields.InitiatorTaskTagAt, value);
    }

    /// <summary>"If the target is responding to a NOP-Out, this field is set to the reserved value 0xffffffff"; otherwise a valid tag asks for an answer (§11.19.1).</summary>
    public uint TargetTransferTag
    {
        get => PduFields.UInt32(_bhs, PduFields.TargetTransferTagAt);
        set => PduFields.SetUInt32(_bhs, PduFields.TargetTransferTagAt, value);
    }

    /// <summary>"The StatSN field will always contain the next StatSN" (§11.19.2).</summary>
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

    /// <summary>The 48 header bytes.</summary>
    public Span<byte> Bytes => _bhs;
}
