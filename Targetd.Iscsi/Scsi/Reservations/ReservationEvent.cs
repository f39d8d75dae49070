namespace Targetd.Iscsi.Scsi.Reservations;

/// <summary>Something one gateway did to the reservations that the others act on for their own I_T nexuses.</summary>
/// <param name="Id">Its place among the logical unit's events.</param>
/// <param name="Origin">The gateway it happened through (which has acted on it already).</param>
/// <param name="Abort">Whether the ports' tasks are aborted (PREEMPT AND ABORT, SPC-4 §5.9.11.5) rather than given a unit attention.</param>
/// <param name="Sense">The unit attention established for the ports.</param>
/// <param name="Ports">The initiator ports.</param>
internal sealed record ReservationEvent(long Id, string Origin, bool Abort, SenseData Sense, IReadOnlyList<string> Ports);
