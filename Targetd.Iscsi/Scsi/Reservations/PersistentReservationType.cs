namespace Targetd.Iscsi.Scsi.Reservations;

/// <summary>Persistent reservation types (SPC-4 §6.15.3, table 172).</summary>
internal enum PersistentReservationType : byte
{
    WriteExclusive = 0x1,
    ExclusiveAccess = 0x3,
    WriteExclusiveRegistrantsOnly = 0x5,
    ExclusiveAccessRegistrantsOnly = 0x6,
    WriteExclusiveAllRegistrants = 0x7,
    ExclusiveAccessAllRegistrants = 0x8,
}
