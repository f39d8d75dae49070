namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>The Response field of a SCSI Response, byte 2 (RFC 7143 §11.4.3).</summary>
internal enum ScsiServiceResponse : byte
{
    /// <summary>"0x00 - Command Completed at Target."</summary>
    CommandCompleted = 0x00,

    /// <summary>"0x01 - Target Failure."</summary>
    TargetFailure = 0x01,
}
