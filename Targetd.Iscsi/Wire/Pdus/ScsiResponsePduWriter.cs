using Targetd.Iscsi.Scsi;

namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>
/// Writes the Basic Header Segment of a SCSI Response (RFC 7143 §11.4): the constructor clears the 48 bytes
/// and sets the opcode and the bit fixed at 1; the properties set the named fields.
/// </summary>
/// <remarks>The layout is drawn on <see cref="ScsiResponsePdu"/>.</remarks>
internal readonly ref struct ScsiResponsePduWriter
{
    private const byte FlagsMask = 0x1E;

    private readonly Span<byte> _bhs;

    /// <exception cref="ArgumentException">The span is shorter than 48 bytes.</exception>
    public ScsiResponsePduWriter(Span<byte> bhs)
    {
        _bhs = PduFields.Begin(bhs, IscsiOpcode.ScsiResponse, 0x80);
    }

    /// <summary>The o, u, O and U residual bits (§11.4.1).</summary>
    public ScsiResponseFlags Flags
    {
        get => (ScsiResponseFlags)PduFields.Bits(_bhs, PduFields.FlagsAt, FlagsMask);
        set => PduFields.SetBits(_bhs, PduFields.FlagsAt, FlagsMask, (byte)value);
    }

    /// <summary>"This field contains the iSCSI service response" (§11.4.3).</summary>
    public ScsiServiceResponse Response
    {
        get => (ScsiServiceResponse)PduFields.Byte(_bhs, PduFields.ResponseAt);
        set => PduFields.SetByte(_bhs, PduFields.ResponseAt, (byte)value);
    }

    /// <summary>"The Status field is used to report the SCSI status of the command", valid when Response is 0 (§11.4.2).</summary>
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

    /// <summary>"The initiator assigns a task tag to each iSCSI task it issues" (§11.2.1.8).</summary>
    public uint InitiatorTaskTag
    {
        get => PduFields.UInt32(_bhs, PduFields.InitiatorTaskTagAt);
        set => PduFields.SetUInt32(_bhs, PduFields.InitiatorTaskTagAt, value);
    }

    /// <summary>The SNACK Tag of the last R-Data SNACK the target honoured, or 0 (§11.4.4).</summary>
    public uint SnackTag
    {
        get => PduFields.UInt32(_bhs, PduFields.SnackTagAt);
        set => PduFields.SetUInt32(_bhs, PduFields.SnackTagAt, value);
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

    /// <summary>"The number of R2T and Data-In (read) PDUs the target has sent for the command" (§11.4.8).</summary>
    public uint ExpDataSN
    {
        get => PduFields.UInt32(_bhs, PduFields.ExpDataSNAt);
        set => PduFields.SetUInt32(_bhs, PduFields.ExpDataSNAt, value);
    }

    /// <summary>The Bidirectional Read Residual Count, valid with the o or u bit (§11.4.6).</summary>
    public uint BidirectionalReadResidualCount
    {
        get => PduFields.UInt32(_bhs, PduFields.BidirectionalReadResidualCountAt);
        set => PduFields.SetUInt32(_bhs, PduFields.BidirectionalReadResidualCountAt, value);
    }

    /// <summary>The Residual Count, valid with the O or U bit (§11.4.5).</summary>
    public uint ResidualCount
    {
        get => PduFields.UInt32(_bhs, PduFields.ResidualCountAt);
        set => PduFields.SetUInt32(_bhs, PduFields.ResidualCountAt, value);
    }

    /// <summary>The 48 header bytes.</summary>
    public Span<byte> Bytes => _bhs;
}
