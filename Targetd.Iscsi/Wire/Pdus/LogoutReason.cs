namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>The reason code of a Logout Request, byte 1 bits 1-7 (RFC 7143 §11.14.1).</summary>
internal enum LogoutReason : byte
{
    /// <summary>"0 - close the session. All commands associated with the session (if any) are terminated."</summary>
    CloseSession = 0,

    /// <summary>"1 - close the connection. All commands associated with the connection (if any) are terminated."</summary>
    CloseConnection = 1,

    /// <summary>"2 - remove the connection for recovery."</summary>
    RemoveConnectionForRecovery = 2,
}
