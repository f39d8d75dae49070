namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// Writes the Basic Header Segment of a Text Response (RFC 7143 §11.11): the constructor clears the 48 bytes
/// and sets the opcode; the properties set the named fields.
/// </summary>
/// <remarks>The layout is drawn on <see cref="TextResponsePdu"/>.</remarks>
internal readonly ref struct TextResponsePduWriter
{
    private const byte FlagsMask = 0xC0;

    private readonly Span<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes.</exception>
    public TextResponsePduWriter(Span<byte> bhs)
    {
        _bhs = PduFields.Begin(bhs, IscsiOpcode.TextResponse, 0);
    }

    /// <summary>The F and C bits (§11.11.1, §11.11.2).</summary>
    public TextFlags Flags
    {
        get => (TextFlags)PduFields.Bits(_bhs, PduFields.FlagsAt, FlagsMask);
        set => PduFields.SetBits(_bhs, PduFields.FlagsAt, FlagsMask, (byte)value);
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

    /// <summary>"When a target has more work to do ... it MUST set the Target Transfer Tag to a value other than the reserved value 0xffffffff" (§11.11.4).</summary>
    public uint TargetTransferTag
    {
        get => PduFields.UInt32(_bhs, PduFields.TargetTransferTagAt);
        set => PduFields.SetUInt32(_bhs, PduFields.TargetTransferTagAt, value);
    }

    /// <summary>StatSN: the status sequence number on this connection (§11.4.9).</summary>
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
