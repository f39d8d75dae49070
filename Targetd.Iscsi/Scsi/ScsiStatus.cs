namespace Targetd.Iscsi.Scsi;

/// <summary>SCSI status codes (SAM-5 §5.3.1).</summary>
internal enum ScsiStatus : byte
{
    Good = 0x00,
    CheckCondition = 0x02,
    Busy = 0x08,
    ReservationConflict = 0x18,
    TaskSetFull = 0x28,
    TaskAborted = 0x40,
}
