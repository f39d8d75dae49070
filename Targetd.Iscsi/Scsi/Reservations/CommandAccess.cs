namespace Targetd.Iscsi.Scsi.Reservations;

/// <summary>How a command meets a reservation held through another I_T nexus (SPC-4 §5.9.1, table 59).</summary>
internal enum CommandAccess
{
    /// <summary>Allowed under every reservation type (INQUIRY, TEST UNIT READY, READ CAPACITY, PERSISTENT RESERVE IN ...).</summary>
    Allowed,

    /// <summary>Reads the medium or its state: allowed under the Write Exclusive types, a conflict under Exclusive Access.</summary>
    Read,

    /// <summary>Changes the medium or its state: a conflict under every type for an I_T nexus without access.</summary>
    Write,
}
