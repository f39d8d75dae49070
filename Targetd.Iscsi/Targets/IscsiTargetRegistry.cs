using System.Collections.Concurrent;

namespace Targetd.Iscsi.Targets;

/// <summary>
/// The targets a portal serves and the sessions logged in to them. Targets may be added and removed while
/// sessions run; removing a target ends its sessions.
/// </summary>
public sealed class IscsiTargetRegistry
{
    private readonly ConcurrentDictionary<string, IscsiTarget> _targets = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<ulong, RegisteredSession> _sessions = new();
    private readonly ConcurrentDictionary<System.Net.IPEndPoint, long> _portals = new();
    private long _nextPortal;
    private long _nextSessionId;
    private int _nextTsih;
    private Server.BufferBudget? _buffers;
    private Server.SessionAdmission? _admission;
    private IscsiLimits _limits = IscsiLimits.Default;

    /// <summary>The default <see cref="BufferBudgetBytes"/>: 1 GiB (<see cref="IscsiLimits.DefaultBufferBudgetBytes"/>).</summary>
    public const long DefaultBufferBudgetBytes = IscsiLimits.DefaultBufferBudgetBytes;

    /// <summary>
    /// The bounds on sessions, connections and the data their commands hold, applied by every portal serving this
    /// registry. Default: <see cref="IscsiLimits.Default"/>.
    /// </summary>
    public IscsiLimits Limits
    {
        get => _limits;
        init => _limits = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// The data the commands of every session of this registry may hold until they are answered: the same as
    /// <see cref="Limits"/>' <see cref="IscsiLimits.BufferBudgetBytes"/>, which setting this changes.
    /// Default: <see cref="DefaultBufferBudgetBytes"/>.
    /// </summary>
    public long BufferBudgetBytes
    {
        get => _limits.BufferBudgetBytes;
        init => _limits = _limits with { BufferBudgetBytes = value };
    }

    /// <summary>The budget <see cref="IscsiLimits.BufferBudgetBytes"/> sets.</summary>
    /// <remarks>Read on every command: made once, without a factory delegate per read.</remarks>
    internal Server.BufferBudget Buffers => Volatile.Read(ref _buffers) ?? CreateBuffers();

    /// <summary>The session counts <see cref="IscsiLimits.MaxSessionsPerTarget"/> and <see cref="IscsiLimits.MaxSessionsPerInitiator"/> bound.</summary>
    internal Server.SessionAdmission Admission => Volatile.Read(ref _admission) ?? CreateAdmission();

    /// <summary>Where the sessions' buffers come from: headers, Data-Out, Data-In.</summary>
    internal Server.IoBufferPool BufferPool { get; init; } = Server.IoBufferPool.Shared;

    /// <summary>The targets, ordered by name.</summary>
    public IReadOnlyList<IscsiTarget> Targets => [.. _targets.Values.OrderBy(t => t.Name, StringComparer.OrdinalIgnoreCase)];

    /// <summary>The sessions currently logged in.</summary>
    public IReadOnlyList<IscsiSessionInfo> Sessions => [.. _sessions.Values.OrderBy(s => s.Id).Select(s => s.Info)];

    /// <summary>
    /// Raised when a session (normal or discovery) completes its login through any portal serving this registry,
    /// once it is listed in <see cref="Sessions"/>. Handlers run on the session's connection before it reads its
    /// next PDU, so they should return quickly; an exception a handler throws is logged and ignored.
    /// </summary>
    public event EventHandler<IscsiSessionEventArgs>? SessionOpened;

    /// <summary>
    /// Raised when a session has ended, with <see cref="IscsiSessionEventArgs.CloseReason"/> saying why, once it is
    /// no longer listed in <see cref="Sessions"/> and its tasks have ended. Handlers run on the ending connection;
    /// an exception a handler throws is logged and ignored.
    /// </summary>
    public event EventHandler<IscsiSessionEventArgs>? SessionClosed;

    /// <summary>
    /// Raised when a portal serving this registry refuses a login (unknown target, initiator not allowed, failed
    /// CHAP, missing or bad keys, a stopping portal, ...), just before the refusing Login Response is sent. No session
    /// is opened, so no <see cref="SessionClosed"/> follows. Handlers run on the refused connection, delaying its answer, so they
    /// should return quickly; an exception a handler throws is logged and ignored.
    /// </summary>
    public event EventHandler<IscsiLoginRefusedEventArgs>? LoginRefused;

    /// <summary>The addresses of the portals serving these targets, in the order they started.</summary>
    internal IReadOnlyList<System.Net.IPEndPoint> Portals => [.. _portals.OrderBy(p => p.Value).Select(p => p.Key)];

    /// <summary>Records a portal that serves these targets, so discovery through any portal lists them all.</summary>
    internal void AddPortal(System.Net.IPEndPoint endPoint) => _portals.TryAdd(endPoint, Interlocked.Increment(ref _nextPortal));

    internal void RemovePortal(System.Net.IPEndPoint endPoint) => _portals.TryRemove(endPoint, out _);

    /// <summary>Adds a target.</summary>
    /// <exception cref="InvalidOperationException">A target of that name exists.</exception>
    public void Add(IscsiTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!_targets.TryAdd(target.Name, target))
        {
            throw new InvalidOperationException($"Target {target.Name} already exists.");
        }

        target.AdmissionWithdrawn += EndSessionsOf;
    }

    /// <summary>Removes a target and ends its sessions.</summary>
    /// <returns>Whether the target existed.</returns>
    public bool Remove(string name)
    {
        if (!_targets.TryRemove(name, out var target))
        {
            return false;
        }

        target.AdmissionWithdrawn -= EndSessionsOf;

        foreach (var session in _sessions.Values.Where(s => ReferenceEquals(s.Target, target)))
        {
            session.Close(IscsiSessionCloseReason.TargetRemoved);
        }

        return true;
    }

    /// <summary>Ends the sessions an initiator has on a target, once its admission there is withdrawn or changed.</summary>
    private void EndSessionsOf(IscsiTarget target, string initiatorName)
    {
        foreach (var session in _sessions.Values)
        {
            if (ReferenceEquals(session.Target, target) && string.Equals(session.Info.InitiatorName, initiatorName, StringComparison.OrdinalIgnoreCase))
            {
                session.Close(IscsiSessionCloseReason.AdmissionWithdrawn);
            }
        }
    }

    /// <summary>Looks a target up by name, case-insensitively.</summary>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IscsiTarget? target) =>
        _targets.TryGetValue(name, out target);

    /// <summary>Records a session that completed login; an older session of the same initiator, ISID and target is ended (RFC 7143 §6.3.5 session reinstatement).</summary>
    internal ulong Register(IscsiSessionInfo info, IscsiTarget? target, Action<IscsiSessionCloseReason> close)
    {
        foreach (var old in _sessions.Values)
        {
            if (ReferenceEquals(old.Target, target)
                && string.Equals(old.Info.InitiatorName, info.InitiatorName, StringComparison.OrdinalIgnoreCase)
                && old.Info.Isid == info.Isid)
            {
                old.Close(IscsiSessionCloseReason.Reinstated);
            }
        }

        ulong id = (ulong)Interlocked.Increment(ref _nextSessionId);
        _sessions[id] = new RegisteredSession(id, info, target, close);
        Metrics.IscsiMetrics.Sessions.Add(1, new KeyValuePair<string, object?>("target", info.TargetName ?? string.Empty));
        return id;
    }

    internal void RaiseSessionOpened(IscsiSessionInfo info) => SessionOpened?.Invoke(this, new IscsiSessionEventArgs(info));

    internal void RaiseSessionClosed(IscsiSessionInfo info, IscsiSessionCloseReason reason) =>
        SessionClosed?.Invoke(this, new IscsiSessionEventArgs(info, reason));

    internal void RaiseLoginRefused(IscsiLoginRefusedEventArgs refusal) => LoginRefused?.Invoke(this, refusal);

    internal void Unregister(ulong id)
    {
        if (_sessions.TryRemove(id, out var session))
        {
            Metrics.IscsiMetrics.Sessions.Add(-1, new KeyValuePair<string, object?>("target", session.Info.TargetName ?? string.Empty));
        }
    }

    /// <summary>A new TSIH, never zero (RFC 7143 §11.12.4: "TSIH ... MUST NOT be zero" once assigned).</summary>
    internal ushort NextTsih()
    {
        while (true)
        {
            ushort tsih = (ushort)Interlocked.Increment(ref _nextTsih);
            if (tsih != 0)
            {
                return tsih;
            }
        }
    }

    /// <summary>Makes the buffer budget once; when two threads race, both use the first made.</summary>
    private Server.BufferBudget CreateBuffers()
    {
        var made = new Server.BufferBudget(_limits.BufferBudgetBytes);
        return Interlocked.CompareExchange(ref _buffers, made, null) ?? made;
    }

    /// <summary>Makes the session admission once; when two threads race, both use the first made.</summary>
    private Server.SessionAdmission CreateAdmission()
    {
        var made = new Server.SessionAdmission(_limits);
        return Interlocked.CompareExchange(ref _admission, made, null) ?? made;
    }

    private sealed record RegisteredSession(ulong Id, IscsiSessionInfo Info, IscsiTarget? Target, Action<IscsiSessionCloseReason> Close);
}
