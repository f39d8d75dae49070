namespace Targetd.Iscsi.Scsi.Reservations;

/// <summary>
/// The reservations of a logical unit as a cluster holds them for every gateway: the persistent part, the RESERVE
/// holder named by its gateway and nexus, and the recent events other gateways act on (unit attentions, PREEMPT AND
/// ABORT's aborts).
/// </summary>
/// <param name="State">Registrations, the persistent reservation, APTPL and the generation.</param>
/// <param name="LegacyGateway">The gateway whose I_T nexus holds a RESERVE reservation, if any.</param>
/// <param name="LegacyNexus">That I_T nexus, on that gateway.</param>
/// <param name="Events">The latest events, oldest first.</param>
internal sealed record ClusterReservations(ReservationFile.Snapshot State, string? LegacyGateway, ulong LegacyNexus, IReadOnlyList<ReservationEvent> Events)
{
    /// <summary>A logical unit nobody has reserved yet.</summary>
    public static ClusterReservations Empty { get; } = new(new ReservationFile.Snapshot(0, false, 0, null, null, []), null, 0, []);

    /// <summary>The id of the latest event, -1 when there is none.</summary>
    public long LastEventId => Events.Count == 0 ? -1 : Events[^1].Id;
}
