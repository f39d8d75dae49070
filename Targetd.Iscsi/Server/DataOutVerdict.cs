namespace Targetd.Iscsi.Server;

/// <summary>What becomes of one Data-Out PDU.</summary>
internal enum DataOutVerdict
{
    /// <summary>Its data is in the task's buffer.</summary>
    Accepted,

    /// <summary>It belongs to no open burst, or does not continue its burst exactly: a protocol error (Reject).</summary>
    OutOfSequence,

    /// <summary>
    /// Its DataSN skips one (§11.7.5): at ErrorRecoveryLevel 0 the command ends with CHECK CONDITION (ABORTED COMMAND,
    /// DATA PHASE ERROR).
    /// </summary>
    DataSequenceGap,

    /// <summary>The task was aborted while the data arrived: the data is dropped.</summary>
    Dropped,
}
