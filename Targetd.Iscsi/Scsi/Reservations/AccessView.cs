using System.Collections.Frozen;

namespace Targetd.Iscsi.Scsi.Reservations;

/// <summary>
/// An immutable picture of who may access a reserved unit, published after every change so that the command path
/// checks conflicts without taking the reservation lock (a cluster keeps its reservation for as long as it runs).
/// </summary>
/// <param name="LegacyHolder">The I_T nexus holding a RESERVE(6/10) reservation, if any.</param>
/// <param name="Type">The persistent reservation type, if a persistent reservation is held.</param>
/// <param name="Holder">The initiator port holding it (for types other than all-registrants).</param>
/// <param name="Registered">The registered initiator ports.</param>
internal sealed record AccessView(ulong? LegacyHolder, PersistentReservationType? Type, string? Holder, FrozenSet<string> Registered);
