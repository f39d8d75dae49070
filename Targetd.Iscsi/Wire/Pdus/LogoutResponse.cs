namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>The Response field of a Logout Response, byte 2 (RFC 7143 §11.15.1).</summary>
internal enum LogoutResponse : byte
{
    /// <summary>"0 - connection or session closed successfully."</summary>
    ClosedSuccessfully = 0,

    /// <summary>"1 - CID not found."</summary>
    CidNotFound = 1,

    /// <summary>"2 - connection recovery is not supported (i.e., the Logout reason code was 'remove the connection for recovery')."</summary>
    RecoveryNotSupported = 2,

    /// <summary>"3 - cleanup failed for various reasons."</summary>
    CleanupFailed = 3,
}
