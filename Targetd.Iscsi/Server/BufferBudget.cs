namespace Targetd.Iscsi.Server;

/// <summary>
/// Bytes that commands may hold for their data (a write's Data-Out, a read's Data-In) until they are answered: one per
/// session and one for every session of a registry, so that initiators that flood commands, or never read their
/// replies, cannot make the target take memory past it. Safe for concurrent use.
/// </summary>
internal sealed class BufferBudget
{
    private long _inUse;
    private long _peak;

    /// <summary>The most in use since the budget was last empty.</summary>
    private long _burstPeak;

    public BufferBudget(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    public long Capacity { get; }

    public long InUse => Interlocked.Read(ref _inUse);

    /// <summary>The most ever in use at once.</summary>
    public long Peak => Interlocked.Read(ref _peak);

    /// <summary>Takes bytes from the budget, unless that would pass its capacity.</summary>
    public bool TryTake(long bytes)
    {
        long current = Interlocked.Read(ref _inUse);
        while (true)
        {
            if (bytes > Capacity - current)
            {
                return false;
            }

            long seen = Interlocked.CompareExchange(ref _inUse, current + bytes, current);
            if (seen == current)
            {
                RaiseTo(ref _burstPeak, current + bytes);
                RaiseTo(ref _peak, current + bytes);
                return true;
            }

            current = seen;
        }
    }

    /// <summary>
    /// Raised, on the thread that gave the last bytes back, when the budget becomes empty after a burst that held at least
    /// <see cref="BurstBytes"/>: the memory the burst used may be given back to the system.
    /// </summary>
    public event Action? BurstEnded;

    /// <summary>How much a burst must have held for <see cref="BurstEnded"/> to be raised when it ends.</summary>
    public long BurstBytes { get; init; } = 64L << 20;

    /// <summary>Gives bytes back.</summary>
    public void Return(long bytes)
    {
        if (Interlocked.Add(ref _inUse, -bytes) == 0 && Interlocked.Exchange(ref _burstPeak, 0) >= BurstBytes)
        {
            BurstEnded?.Invoke();
        }
    }

    private static void RaiseTo(ref long field, long value)
    {
        long seen = Interlocked.Read(ref field);
        while (value > seen && Interlocked.CompareExchange(ref field, value, seen) is var was && was != seen)
        {
            seen = was;
        }
    }
}
