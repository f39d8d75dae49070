using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;

namespace Targetd.Tests.Iscsi;

/// <summary>A PDU read by <see cref="TestInitiator"/>: its header through the target's own PDU views.</summary>
internal sealed record ReceivedPdu(byte[] Header, byte[] Data)
{
    public IscsiOpcode Opcode => PduFields.Opcode(Header);

    public uint InitiatorTaskTag => PduFields.UInt32(Header, PduFields.InitiatorTaskTagAt);

    /// <summary>StatSN, where every target PDU but the Data-In without status carries it (RFC 7143 §11.4.9).</summary>
    public uint StatSN => PduFields.UInt32(Header, PduFields.StatSNAt);

    /// <summary>ExpCmdSN, common to every target PDU (RFC 7143 §11.4.10).</summary>
    public uint ExpCmdSN => PduFields.UInt32(Header, PduFields.ExpCmdSNAt);

    /// <summary>MaxCmdSN, common to every target PDU (RFC 7143 §11.4.10).</summary>
    public uint MaxCmdSN => PduFields.UInt32(Header, PduFields.MaxCmdSNAt);

    /// <summary>The SCSI status of a SCSI Response or of a Data-In with the S bit; null for any other PDU.</summary>
    public ScsiStatus? Status => Opcode switch
    {
        IscsiOpcode.ScsiResponse => AsScsiResponse().Status,
        IscsiOpcode.DataIn when AsDataIn().HasStatus => AsDataIn().Status,
        _ => null,
    };

    public ScsiResponsePdu AsScsiResponse() => new(Header);

    public TaskManagementResponsePdu AsTaskManagementResponse() => new(Header);

    public DataInPdu AsDataIn() => new(Header);

    public ReadyToTransferPdu AsReadyToTransfer() => new(Header);

    public TextResponsePdu AsTextResponse() => new(Header);

    public LoginResponsePdu AsLoginResponse() => new(Header);

    public LogoutResponsePdu AsLogoutResponse() => new(Header);

    public RejectPdu AsReject() => new(Header);

    public NopInPdu AsNopIn() => new(Header);
}
