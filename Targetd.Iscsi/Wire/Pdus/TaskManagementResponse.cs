namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>The Response field of a Task Management Function Response, byte 2 (RFC 7143 §11.6.1).</summary>
internal enum TaskManagementResponse : byte
{
    /// <summary>"0 - Function complete."</summary>
    FunctionComplete = 0,

    /// <summary>"1 - Task does not exist."</summary>
    TaskDoesNotExist = 1,

    /// <summary>"2 - LUN does not exist."</summary>
    LunDoesNotExist = 2,

    /// <summary>"3 - Task still allegiant."</summary>
    TaskStillAllegiant = 3,

    /// <summary>"4 - Task allegiance reassignment not supported."</summary>
    TaskAllegianceReassignmentNotSupported = 4,

    /// <summary>"5 - Task management function not supported."</summary>
    FunctionNotSupported = 5,

    /// <summary>"6 - Function authorization failed."</summary>
    FunctionAuthorizationFailed = 6,

    /// <summary>"255 - Function rejected."</summary>
    FunctionRejected = 255,
}
