namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>The Function field of a Task Management Function Request, byte 1 bits 1-7 (RFC 7143 §11.5.1).</summary>
internal enum TaskManagementFunction : byte
{
    /// <summary>"1 - ABORT TASK: aborts the task identified by the Referenced Task Tag field."</summary>
    AbortTask = 1,

    /// <summary>"2 - ABORT TASK SET: aborts all tasks issued via this session on the LU."</summary>
    AbortTaskSet = 2,

    /// <summary>"3 - CLEAR ACA: clears the Auto Contingent Allegiance condition."</summary>
    ClearAca = 3,

    /// <summary>"4 - CLEAR TASK SET: aborts all tasks in the appropriate task set as defined by the TST field in the Control mode page."</summary>
    ClearTaskSet = 4,

    /// <summary>"5 - LOGICAL UNIT RESET."</summary>
    LogicalUnitReset = 5,

    /// <summary>"6 - TARGET WARM RESET."</summary>
    TargetWarmReset = 6,

    /// <summary>"7 - TARGET COLD RESET."</summary>
    TargetColdReset = 7,

    /// <summary>"8 - TASK REASSIGN: reassigns connection allegiance for the task identified by the Initiator Task Tag field to this connection."</summary>
    TaskReassign = 8,
}
