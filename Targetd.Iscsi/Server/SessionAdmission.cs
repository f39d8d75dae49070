using Targetd.Iscsi.Targets;

namespace Targetd.Iscsi.Server;

/// <summary>
/// Counts the normal sessions of a registry by target and by initiator name, and admits a new one only within
/// <see cref="IscsiLimits.MaxSessionsPerTarget"/> and <see cref="IscsiLimits.MaxSessionsPerInitiator"/>. A session is
/// counted from the final login step until its connection ends. A login that reinstates a session (same target,
/// initiator name and ISID, RFC 7143 §6.3.5) is admitted: the session it replaces is about to end. Safe for
/// concurrent use.
/// </summary>
internal sealed class SessionAdmission
{
    private readonly IscsiLimits _limits;
    private readonly Lock _gate = new();
    private readonly Dictionary<object, Holder> _holders = [];
    private readonly Dictionary<IscsiTarget, int> _perTarget = [];
    private readonly Dictionary<string, int> _perInitiator = new(StringComparer.OrdinalIgnoreCase);

    public SessionAdmission(IscsiLimits limits) => _limits = limits;

    /// <summary>The sessions counted now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _holders.Count;
            }
        }
    }

    /// <summary>
    /// Counts a session of <paramref name="owner"/> (its connection) unless a limit forbids it; returns null when it
    /// is admitted, else which limit refused it. An owner is counted once however often it asks.
    /// </summary>
    public string? TryAdmit(object owner, IscsiTarget target, string initiatorName, ulong isid)
    {
        lock (_gate)
        {
            if (_holders.ContainsKey(owner))
            {
                return null;
            }

            bool reinstates = _holders.Values.Any(h => ReferenceEquals(h.Target, target) && h.Isid == isid
                && string.Equals(h.InitiatorName, initiatorName, StringComparison.OrdinalIgnoreCase));
            if (!reinstates)
            {
                if (_limits.MaxSessionsPerTarget > 0 && _perTarget.GetValueOrDefault(target) >= _limits.MaxSessionsPerTarget)
                {
                    return $"max_sessions_per_target ({_limits.MaxSessionsPerTarget}) reached on {target.Name}";
                }

                if (_limits.MaxSessionsPerInitiator > 0 && _perInitiator.GetValueOrDefault(initiatorName) >= _limits.MaxSessionsPerInitiator)
                {
                    return $"max_sessions_per_initiator ({_limits.MaxSessionsPerInitiator}) reached by {initiatorName}";
                }
            }

            _holders[owner] = new Holder(target, initiatorName, isid);
            _perTarget[target] = _perTarget.GetValueOrDefault(target) + 1;
            _perInitiator[initiatorName] = _perInitiator.GetValueOrDefault(initiatorName) + 1;
            return null;
        }
    }

    /// <summary>Stops counting the session of <paramref name="owner"/>, if it is counted; safe to repeat.</summary>
    public void Release(object owner)
    {
        lock (_gate)
        {
            if (!_holders.Remove(owner, out var holder))
            {
                return;
            }

            Decrement(_perTarget, holder.Target);
            Decrement(_perInitiator, holder.InitiatorName);
        }
    }

    private static void Decrement<TKey>(Dictionary<TKey, int> counts, TKey key)
        where TKey : notnull
    {
        if (counts[key] <= 1)
        {
            counts.Remove(key);
        }
        else
        {
            counts[key]--;
        }
    }

    private sealed record Holder(IscsiTarget Target, string InitiatorName, ulong Isid);
}
