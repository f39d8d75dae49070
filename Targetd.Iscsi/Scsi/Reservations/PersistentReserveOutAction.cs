namespace Targetd.Iscsi.Scsi.Reservations;

/// <summary>PERSISTENT RESERVE OUT service actions (SPC-4 §6.15.2, table 170).</summary>
internal enum PersistentReserveOutAction : byte
{
    Register = 0x00,
    Reserve = 0x01,
    Release = 0x02,
    Clear = 0x03,
    Preempt = 0x04,
    PreemptAndAbort = 0x05,
    RegisterAndIgnoreExistingKey = 0x06,
    RegisterAndMove = 0x07,
    ReplaceLostReservation = 0x08,
}
