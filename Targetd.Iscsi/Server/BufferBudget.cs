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
                long peak = Interlocked.Read(ref _peak);
                while (current + bytes > peak && Interlocked.CompareExchange(ref _peak, current + bytes, peak) is var was && was != peak)
                {
                    peak = was;
                }

                return true;
            }

            current = seen;
        }
    }

    /// <summary>Gives bytes back.</summary>
    public void Return(long bytes) => Interlocked.Add(ref _inUse, -bytes);
}
