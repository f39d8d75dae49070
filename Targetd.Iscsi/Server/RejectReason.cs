namespace Targetd.Iscsi.Server;

/// <summary>Reject PDU reason codes (RFC 7143 §11.17.1).</summary>
internal enum RejectReason : byte
{
    DataDigestError = 0x02,
    SnackReject = 0x03,
    ProtocolError = 0x04,
    CommandNotSupported = 0x05,
    ImmediateCommandReject = 0x06,
    TaskInProgress = 0x07,
    InvalidDataAck = 0x08,
    InvalidPduField = 0x09,
    LongOperationReject = 0x0A,
    WaitingForLogout = 0x0C,
}
