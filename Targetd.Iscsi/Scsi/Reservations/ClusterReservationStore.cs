using Targetd.Core.BlockDevices;

namespace Targetd.Iscsi.Scsi.Reservations;

/// <summary>
/// Reservations a cluster holds for every gateway serving the logical unit (an RBD image from several gateways).
/// Every command that may meet a reservation reads the state first (<see cref="RefreshAsync"/>) into a local mirror
/// and is decided on that (commands arriving together share one read, <see cref="CoalescedStateReads"/>); a change
/// reads the state, applies the command to a scratch copy and writes it back with compare-and-set, reading again when
/// another gateway came first. Unit attentions and PREEMPT AND ABORT reach the
/// other gateways as events in the state, which each gateway acts on once, for its own I_T nexuses. When the state
/// cannot be reached the command ends with NOT READY, LOGICAL UNIT COMMUNICATION FAILURE rather than being decided
/// on what was last seen. Where the cluster can announce changes (<see cref="ISharedDeviceStateWatch"/>), a change that
/// raised events is announced, and the command that made it completes once every gateway has read it (or after
/// <see cref="AnnounceTimeout"/>): a PREEMPT AND ABORT through one gateway has aborted the preempted nexuses' tasks on
/// the others by the time it completes.
/// </summary>
internal sealed class ClusterReservationStore : IReservationStore
{
    /// <summary>How many events the state keeps for gateways that have not read it yet.</summary>
    public const int EventsKept = 32;

    /// <summary>How often a change is tried against other gateways' writes before it gives up.</summary>
    public const int Attempts = 100;

    /// <summary>How long a change waits for the other gateways to have read it before it completes anyway.</summary>
    public static readonly TimeSpan AnnounceTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The nexus number a RESERVE reservation held through another gateway takes in the mirror; no local nexus has it.</summary>
    private const ulong ForeignNexus = ulong.MaxValue;

    private readonly ISharedDeviceState _shared;
    private readonly ISharedDeviceStateWatch? _watch;
    private readonly CoalescedStateReads _reads;
    private readonly ReservationState _mirror;
    private readonly Lock _gate = new();
    private static readonly string ProcessPart = Guid.NewGuid().ToString("N")[..12];
    private static long _gateways;
    private long _seenSequence = -1;
    private long _seenEvent = -1;
    private bool _primed;

    /// <param name="shared">Where the cluster holds the state.</param>
    /// <param name="gateway">This gateway's name among those sharing the state; unique per process.</param>
    public ClusterReservationStore(ISharedDeviceState shared, string gateway)
    {
        _shared = shared;
        Gateway = gateway;
        _mirror = new ReservationState(new PortAttentions(), file: null, persistent: true);
        _reads = new CoalescedStateReads(shared);
        if (shared is ISharedDeviceStateWatch watch)
        {
            _watch = watch;
            watch.Watch(OnAnnouncedAsync);
        }
    }

    /// <summary>
    /// A new name among the gateways sharing a state: host, process, a random part and a count, so that two devices
    /// over the same image, in one process or two, are two gateways.
    /// </summary>
    public static string NewGatewayName() =>
        $"{Environment.MachineName}/{Environment.ProcessId}/{ProcessPart}/{Interlocked.Increment(ref _gateways)}";

    /// <summary>This gateway's name in the shared state.</summary>
    public string Gateway { get; }

    /// <inheritdoc/>
    public PortAttentions Attentions => _mirror.Attentions;

    /// <inheritdoc/>
    public async ValueTask<ScsiResult?> RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReadAndAdoptAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            return ScsiResult.Check(Sense.ReservationStateUnreachable());
        }
    }

    /// <inheritdoc/>
    public bool Conflicts(ulong nexus, string port, CommandAccess access, bool allowedUnderReserve) =>
        _mirror.Conflicts(nexus, port, access, allowedUnderReserve);

    /// <inheritdoc/>
    public ValueTask<ScsiResult> ReserveAsync(ulong nexus, CancellationToken cancellationToken) =>
        ChangeAsync(state => state.TryReserve(nexus) ? ScsiResult.Good() : ScsiResult.Conflict(), abort: false, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<ScsiResult> ReleaseAsync(ulong nexus, CancellationToken cancellationToken) =>
        ChangeAsync(
            state =>
            {
                state.Release(nexus);
                return ScsiResult.Good();
            },
            abort: false,
            cancellationToken);

    /// <inheritdoc/>
    public ValueTask<ScsiResult> OutAsync(
        ulong nexus, string port, PersistentReserveOutAction action, byte scopeAndType, ReadOnlyMemory<byte> parameters, CancellationToken cancellationToken) =>
        ChangeAsync(
            state => state.Out(nexus, port, action, scopeAndType, parameters.Span, out _, out _),
            abort: action == PersistentReserveOutAction.PreemptAndAbort,
            cancellationToken);

    /// <inheritdoc/>
    public byte[] In(int serviceAction) => _mirror.In(serviceAction);

    /// <inheritdoc/>
    public void Attach(ulong nexus, string port, Func<ValueTask> abortTasks) => _mirror.Attach(nexus, port, abortTasks);

    /// <inheritdoc/>
    public void NexusLost(ulong nexus)
    {
        // SPC-2 §5.5.1: the RESERVE reservation of a nexus that is gone ends; only a change when this nexus held it.
        bool held = _mirror.Capture().LegacyHolder == nexus;
        _mirror.NexusLost(nexus);
        if (held)
        {
            _ = ReleaseAsync(nexus, CancellationToken.None).AsTask();
        }
    }

    /// <inheritdoc/>
    public IReadOnlyCollection<string> AttachedPorts() => _mirror.AttachedPorts();

    /// <inheritdoc/>
    public async ValueTask ResetAsync(SenseData resetSense)
    {
        _mirror.Reset();
        await ChangeAsync(
            state =>
            {
                state.Reset();
                return ScsiResult.Good();
            },
            abort: false,
            CancellationToken.None,
            resetSense).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies a change to the state the cluster holds: read, change a scratch copy, compare-and-set, again on a
    /// lost race. A change the command refuses is not written.
    /// </summary>
    private async ValueTask<ScsiResult> ChangeAsync(
        Func<ReservationState, ScsiResult> change, bool abort, CancellationToken cancellationToken, SenseData? resetSense = null)
    {
        try
        {
            for (int attempt = 0; attempt < Attempts; attempt++)
            {
                var value = await _shared.ReadStateAsync(cancellationToken).ConfigureAwait(false);
                var read = ClusterReservationCodec.Decode(value.Content);
                await AdoptAsync(value.Sequence, read).ConfigureAwait(false);
                var scratch = new ReservationState(new PortAttentions(), file: null, persistent: true);
                scratch.Load(read.State, LocalLegacyHolder(read));
                var result = change(scratch);
                if (result.Status != ScsiStatus.Good)
                {
                    return result;
                }

                var written = Written(read, scratch, abort, resetSense);
                if (await _shared.TryWriteStateAsync(value.Sequence, ClusterReservationCodec.Encode(written), cancellationToken).ConfigureAwait(false))
                {
                    // SPC-4 §5.9.11.5: "the device server shall ... perform a task abort for all the preempted I_T
                    // nexuses": here for this gateway's, on the others when they read the event.
                    foreach (var each in written.Events.Where(e => e.Abort && e.Origin == Gateway && e.Id > read.LastEventId))
                    {
                        await _mirror.AbortTasksOfAsync(each.Ports).ConfigureAwait(false);
                    }

                    await AdoptAsync(value.Sequence + 1, written).ConfigureAwait(false);
                    if (written.LastEventId > read.LastEventId)
                    {
                        await AnnounceAsync().ConfigureAwait(false);
                    }

                    return result;
                }
            }

            return ScsiResult.Check(Sense.ReservationStateUnreachable());
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            return ScsiResult.Check(Sense.ReservationStateUnreachable());
        }
    }

    /// <summary>Tells the other gateways of a change; one that cannot be told reads it with its next command.</summary>
    private async ValueTask AnnounceAsync()
    {
        try
        {
            _ = await _watch!.AnnounceAsync(AnnounceTimeout, CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>
    /// Another gateway announced a change: read it now, acting on its events (aborts included). A state that cannot
    /// be read throws, so the announcement is not acknowledged.
    /// </summary>
    private ValueTask OnAnnouncedAsync(CancellationToken cancellationToken) => ReadAndAdoptAsync(cancellationToken);

    /// <summary>Reads the state (sharing the read with the commands arriving with it) and makes it the mirror's.</summary>
    private async ValueTask ReadAndAdoptAsync(CancellationToken cancellationToken)
    {
        var value = await _reads.ReadAsync(cancellationToken).ConfigureAwait(false);
        await AdoptAsync(value.Sequence, ClusterReservationCodec.Decode(value.Content)).ConfigureAwait(false);
    }

    /// <summary>The state to write after a change: the scratch copy, its RESERVE holder named by gateway, the events it raised.</summary>
    private ClusterReservations Written(ClusterReservations read, ReservationState scratch, bool abort, SenseData? resetSense)
    {
        var (saved, legacy) = scratch.Capture();
        (string? gateway, ulong nexus) = legacy switch
        {
            null => (null, 0UL),
            ForeignNexus => (read.LegacyGateway, read.LegacyNexus),
            { } local => (Gateway, local),
        };

        long next = read.LastEventId + 1;
        var raised = new List<ReservationEvent>();
        foreach (var group in scratch.Attentions.TakeAll().GroupBy(a => a.Sense))
        {
            string[] ports = [.. group.Select(a => a.Port)];
            raised.Add(new ReservationEvent(next++, Gateway, false, group.Key, ports));

            if (abort && group.Key == Sense.RegistrationsPreempted())
            {
                raised.Add(new ReservationEvent(next++, Gateway, true, group.Key, ports));
            }
        }

        if (resetSense is { } reset)
        {
            // A reset event names no port: every I_T nexus of the other gateways gets its unit attention.
            raised.Add(new ReservationEvent(next, Gateway, false, reset, []));
        }

        var events = read.Events.Concat(raised).TakeLast(EventsKept).ToArray();
        return new ClusterReservations(saved, gateway, nexus, events);
    }

    /// <summary>The RESERVE holder as the mirror knows it: a local nexus, or one no local nexus has.</summary>
    private ulong? LocalLegacyHolder(ClusterReservations state) => state.LegacyGateway switch
    {
        null => null,
        var gateway when gateway == Gateway => state.LegacyNexus,
        _ => ForeignNexus,
    };

    /// <summary>
    /// Makes a state read (or written) the mirror's, and acts once on each event not seen yet: unit attentions for
    /// the ports, aborts of other gateways' PREEMPT AND ABORT. Events from before this gateway first read are old news.
    /// </summary>
    private async ValueTask AdoptAsync(long sequence, ClusterReservations state)
    {
        ReservationEvent[] fresh;
        lock (_gate)
        {
            if (sequence <= _seenSequence)
            {
                return;
            }

            _mirror.Load(state.State, LocalLegacyHolder(state));
            _seenSequence = sequence;
            fresh = _primed ? [.. state.Events.Where(e => e.Id > _seenEvent)] : [];
            _primed = true;
            _seenEvent = Math.Max(_seenEvent, state.LastEventId);
        }

        foreach (var each in fresh)
        {
            if (each is { Abort: false, Ports.Count: 0 })
            {
                if (each.Origin != Gateway)
                {
                    _mirror.Attentions.Establish(_mirror.AttachedPorts(), each.Sense);
                }
            }
            else if (!each.Abort)
            {
                _mirror.Attentions.Establish(each.Ports, each.Sense);
            }
            else if (each.Origin != Gateway)
            {
                await _mirror.AbortTasksOfAsync(each.Ports).ConfigureAwait(false);
            }
        }
    }
}
