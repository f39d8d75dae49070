namespace Targetd.Qcow2.Metadata;

/// <summary>
/// Counts data transfers per epoch, so that a host cluster released in epoch E is reused only after every
/// transfer that started in an epoch up to E has ended.
/// </summary>
internal sealed class InFlightEpochs
{
    private readonly Dictionary<long, int> _active = [];
    private readonly Lock _gate = new();
    private long _current;

    /// <summary>The oldest epoch with a transfer still running, or <see cref="long.MaxValue"/> when idle.</summary>
    public long OldestActive
    {
        get
        {
            lock (_gate)
            {
                return _active.Count == 0 ? long.MaxValue : _active.Keys.Min();
            }
        }
    }

    public long Begin()
    {
        lock (_gate)
        {
            _active[_current] = _active.GetValueOrDefault(_current) + 1;
            return _current;
        }
    }

    public void End(long epoch)
    {
        lock (_gate)
        {
            if (--_active[epoch] == 0)
            {
                _active.Remove(epoch);
            }
        }
    }

    /// <summary>Starts a new epoch and returns the one that just closed.</summary>
    public long Advance()
    {
        lock (_gate)
        {
            return _current++;
        }
    }
}
