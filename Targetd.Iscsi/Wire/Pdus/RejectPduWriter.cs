using Targetd.Iscsi.Server;

namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// Writes the Basic Header Segment of a Reject (RFC 7143 §11.17): the constructor clears the 48 bytes
/// and sets the opcode, the bit fixed at 1 and the reserved tag in bytes 16-19; the properties set the named fields.
/// </summary>
/// <remarks>The layout is drawn on <see cref="RejectPdu"/>.</remarks>
internal readonly ref struct RejectPduWriter
{
    private readonly Span<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes.</exception>
    public RejectPduWriter(Span<byte> bhs)
    {
        _bhs = PduFields.Begin(bhs, IscsiOpcode.Reject, 0x80);
        PduFields.SetUInt32(_bhs, PduFields.InitiatorTaskTagAt, PduFields.ReservedTag); // §11.17: "0xffffffff"
    }

    /// <summary>"The reject Reason is coded as follows" (§11.17.1).</summary>
    public RejectReason Reason
    {
        get => (RejectReason)PduFields.Byte(_bhs, PduFields.ReasonAt);
        set => PduFields.SetByte(_bhs, PduFields.ReasonAt, (byte)value);
    }

    /// <summary>"DataSegmentLength: the data segment payload length in bytes (excluding padding)" (§11.2.1.5).</summary>
    public int DataSegmentLength
    {
        get => PduFields.DataSegmentLength(_bhs);
        set => PduFields.SetDataSegmentLength(_bhs, value);
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

    /// <summary>"This field is only valid if the rejected PDU is a Data/R2T SNACK and the Reject reason code is 'Protocol Error'" (§11.17.2).</summary>
    public uint DataSNOrR2TSN
    {
        get => PduFields.UInt32(_bhs, PduFields.DataSNAt);
        set => PduFields.SetUInt32(_bhs, PduFields.DataSNAt, value);
    }

    /// <summary>The 48 header bytes.</summary>
    public Span<byte> Bytes => _bhs;
}
