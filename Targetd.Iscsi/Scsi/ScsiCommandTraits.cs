namespace Targetd.Iscsi.Scsi;

/// <summary>How a command meets the logical unit's conditions, one flag per rule that reads the command table.</summary>
[Flags]
internal enum ScsiCommandTraits
{
    /// <summary>No exemption; not a medium access.</summary>
    None = 0,

    /// <summary>Let through a RESERVE(6/10) held by another I_T nexus (SPC-2 §5.5.1).</summary>
    AllowedUnderReserve = 1,

    /// <summary>Reads or writes the medium: refused after a failed SANITIZE (SBC-3 §4.11).</summary>
    MediumAccess = 2,

    /// <summary>Served while a SANITIZE runs (SBC-3 §4.11: INQUIRY, REPORT LUNS, REQUEST SENSE).</summary>
    ServedWhileSanitizing = 4,

    /// <summary>Not stopped by a pending unit attention (SPC-4 §5.14: INQUIRY, REPORT LUNS, REQUEST SENSE).</summary>
    IgnoresUnitAttention = 8,

    /// <summary>Changes the medium: an I/O error is a WRITE ERROR rather than a READ ERROR.</summary>
    Writes = 16,
}
