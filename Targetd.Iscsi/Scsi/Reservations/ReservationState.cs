using System.Collections.Frozen;

namespace Targetd.Iscsi.Scsi.Reservations;

/// <summary>
/// The reservations of one logical unit: persistent reservations (SPC-4 §5.9) with their registrations keyed by
/// initiator port, and the older RESERVE/RELEASE reservation (SPC-2 §7.21) held by one I_T nexus. All changes
/// happen under one lock; the command path reads a volatile flag first, so an unreserved unit pays nothing.
/// </summary>
internal sealed partial class ReservationState
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Registration> _registrations = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, (string Port, Func<ValueTask> AbortTasks)> _nexuses = new();
    private string? _holder;
    private PersistentReservationType? _type;
    private uint _generation;
    private ulong? _legacyHolder;
    private volatile AccessView? _view;
    private bool _persistThroughPowerLoss;
    private long _version;

    /// <param name="attentions">Where unit attentions for initiator ports are established.</param>
    /// <param name="file">Where registrations are kept when an initiator sets APTPL; null offers no persistence (PTPL_C 0).</param>
    /// <param name="persistent">Whether the state outlives the process anyway (a cluster holds it): APTPL is offered without a file.</param>
    public ReservationState(PortAttentions attentions, ReservationFile? file = null, bool persistent = false)
    {
        Attentions = attentions;
        File = file;
        PersistenceOffered = file is not null || persistent;
        if (file?.Load() is { PersistThroughPowerLoss: true } saved)
        {
            // SPC-4 §5.9.4: after power loss the registrations and the reservation are restored, the nexuses are not.
            _persistThroughPowerLoss = true;
            _generation = saved.Generation;
            foreach (var (port, key) in saved.Registrations)
            {
                _registrations[port] = new Registration(key, ++_registrationOrder);
            }

            _type = saved.Type;
            _holder = saved.Holder;
            UpdateActive();
        }
    }

    /// <summary>Where persistence through power loss keeps its state, if offered.</summary>
    public ReservationFile? File { get; }

    /// <summary>Unit attentions reservations establish for initiator ports.</summary>
    public PortAttentions Attentions { get; }

    /// <summary>Whether APTPL can be honoured (PTPL_C, SPC-4 §6.14.4).</summary>
    public bool PersistenceOffered { get; }

    /// <summary>Replaces the whole state with one read elsewhere (a cluster); the attached nexuses stay.</summary>
    /// <param name="saved">The registrations, the reservation, APTPL and the generation.</param>
    /// <param name="legacyHolder">The I_T nexus holding a RESERVE reservation, if any.</param>
    public void Load(ReservationFile.Snapshot saved, ulong? legacyHolder)
    {
        lock (_gate)
        {
            _persistThroughPowerLoss = saved.PersistThroughPowerLoss;
            _generation = saved.Generation;
            _registrations.Clear();
            foreach (var (port, key) in saved.Registrations)
            {
                _registrations[port] = new Registration(key, ++_registrationOrder);
            }

            _type = saved.Type;
            _holder = saved.Holder;
            _legacyHolder = legacyHolder;
            UpdateActive();
        }
    }

    /// <summary>The whole state, as <see cref="Load"/> takes it.</summary>
    public (ReservationFile.Snapshot Saved, ulong? LegacyHolder) Capture()
    {
        lock (_gate)
        {
            return (TakeSnapshot(), _legacyHolder);
        }
    }

    /// <summary>Whether a command through the nexus meets a reservation held by another (SPC-4 §5.9.1; SPC-2 §5.5.1).</summary>
    /// <param name="nexus">The I_T nexus.</param>
    /// <param name="port">Its initiator port.</param>
    /// <param name="access">How the command meets persistent reservations.</param>
    /// <param name="allowedUnderReserve">Whether the command is one RESERVE(6/10) lets through (INQUIRY, REQUEST SENSE, RELEASE).</param>
    public bool Conflicts(ulong nexus, string port, CommandAccess access, bool allowedUnderReserve)
    {
        if (_view is not { } view)
        {
            return false;
        }

        if (view.LegacyHolder is { } holder && holder != nexus && !allowedUnderReserve)
        {
            return true;
        }

        if (view.Type is not { } type || access == CommandAccess.Allowed)
        {
            return false;
        }

        // SPC-4 §5.9.10: registrants-only and all-registrants types give every registrant access; the others only the holder.
        bool hasAccess = IsAllRegistrants(type) || IsRegistrantsOnly(type) ? view.Registered.Contains(port) : view.Holder == port;
        return !hasAccess && (access == CommandAccess.Write || !IsWriteExclusive(type));
    }

    /// <summary>RESERVE(6) and RESERVE(10) (SPC-2 §7.21): the whole logical unit for one I_T nexus.</summary>
    public bool TryReserve(ulong nexus)
    {
        lock (_gate)
        {
            // SPC-4 §5.9.3: RESERVE meets RESERVATION CONFLICT while persistent registrations exist.
            if (_registrations.Count > 0 || (_legacyHolder is { } holder && holder != nexus))
            {
                return false;
            }

            _legacyHolder = nexus;
            UpdateActive();
            return true;
        }
    }

    /// <summary>RELEASE(6) and RELEASE(10): releases the nexus's own reservation; from any other nexus it does nothing.</summary>
    public void Release(ulong nexus)
    {
        lock (_gate)
        {
            if (_legacyHolder == nexus)
            {
                _legacyHolder = null;
                UpdateActive();
            }
        }
    }

    /// <summary>Knows an I_T nexus by its port, with how to abort its tasks on this unit (PREEMPT AND ABORT).</summary>
    public void Attach(ulong nexus, string port, Func<ValueTask> abortTasks) => _nexuses[nexus] = (port, abortTasks);

    /// <summary>
    /// The I_T nexus is gone (logout, lost connection): its RESERVE reservation ends with it; persistent
    /// registrations and reservations stay (SPC-4 §5.9.2).
    /// </summary>
    public void NexusLost(ulong nexus)
    {
        _nexuses.TryRemove(nexus, out _);
        Release(nexus);
    }

    /// <summary>The initiator ports of the attached I_T nexuses.</summary>
    public IReadOnlyCollection<string> AttachedPorts() => [.. _nexuses.Values.Select(n => n.Port).Distinct(StringComparer.Ordinal)];

    /// <summary>Aborts the tasks every attached nexus of the given ports has on this unit (SPC-4 §5.9.11.5).</summary>
    public async ValueTask AbortTasksOfAsync(IReadOnlyCollection<string> ports)
    {
        foreach (var (_, (port, abortTasks)) in _nexuses)
        {
            if (ports.Contains(port))
            {
                await abortTasks().ConfigureAwait(false);
            }
        }
    }

    /// <summary>A logical unit or target reset clears RESERVE reservations (SPC-2 §5.5.1) but not persistent ones.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _legacyHolder = null;
            UpdateActive();
        }
    }

    private static bool IsWriteExclusive(PersistentReservationType type) => type is PersistentReservationType.WriteExclusive
        or PersistentReservationType.WriteExclusiveRegistrantsOnly or PersistentReservationType.WriteExclusiveAllRegistrants;

    private static bool IsAllRegistrants(PersistentReservationType type) =>
        type is PersistentReservationType.WriteExclusiveAllRegistrants or PersistentReservationType.ExclusiveAccessAllRegistrants;

    private static bool IsRegistrantsOnly(PersistentReservationType type) =>
        type is PersistentReservationType.WriteExclusiveRegistrantsOnly or PersistentReservationType.ExclusiveAccessRegistrantsOnly;

    /// <summary>SPC-4 §5.9.10: with an all-registrants type every registrant is a reservation holder.</summary>
    private bool IsHolder(string port) =>
        _type is { } type && (IsAllRegistrants(type) ? _registrations.ContainsKey(port) : _holder == port);

    /// <summary>The state as it would be restored after power loss; taken under the lock.</summary>
    private ReservationFile.Snapshot TakeSnapshot() => new(
        ++_version,
        _persistThroughPowerLoss,
        _generation,
        _type,
        _holder,
        [.. _registrations.OrderBy(r => r.Value.Order).Select(r => (r.Key, r.Value.Key))]);

    /// <summary>Publishes the access picture after a change; null while nothing is reserved.</summary>
    private void UpdateActive() => _view = _legacyHolder is null && _type is null
        ? null
        : new AccessView(_legacyHolder, _type, _holder, _registrations.Keys.ToFrozenSet(StringComparer.Ordinal));

    /// <summary>A registration: the key and the order it was made in.</summary>
    private readonly record struct Registration(ulong Key, long Order);
}
