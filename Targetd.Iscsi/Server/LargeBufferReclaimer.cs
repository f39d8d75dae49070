namespace Targetd.Iscsi.Server;

/// <summary>
/// Gives the memory of a burst of large buffers back to the system once the burst is over. The collector frees such
/// buffers only when it runs, and an idle target allocates nothing that would make it run; even a full collection keeps
/// the regions it freed committed, for buffers that may come next. So once at least <see cref="Threshold"/> bytes of
/// them were given back and no large buffer was taken or given back for <see cref="QuietPeriod"/>, one aggressive
/// collection (which decommits what it frees) is made; the pool that lent them drops the ones it kept first (see
/// <see cref="IoBufferPool.SharedPool"/>). That is at most one collection a burst, never on the data path: while the
/// buffers keep coming the timer only waits longer. Safe for concurrent use.
/// </summary>
internal sealed class LargeBufferReclaimer : IDisposable
{
    /// <summary>The default <see cref="Threshold"/>: 64 MiB, less is not worth a collection.</summary>
    public const long DefaultThreshold = 64L << 20;

    /// <summary>The default <see cref="QuietPeriod"/>.</summary>
    public static readonly TimeSpan DefaultQuietPeriod = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private readonly Action _reclaim;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private long _givenBack;
    private long _lastActivity;
    private bool _armed;
    private int _reclaims;

    /// <param name="threshold">The bytes given back since the last collection that make one worth it.</param>
    /// <param name="quietPeriod">How long no large buffer is taken or given back before the burst counts as over.</param>
    /// <param name="time">The clock of the quiet period.</param>
    /// <param name="reclaim">
    /// The collection, with whatever makes the buffers collectable first; <see langword="null"/> for
    /// <see cref="CollectAggressively"/>.
    /// </param>
    public LargeBufferReclaimer(long threshold, TimeSpan quietPeriod, TimeProvider time, Action? reclaim = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threshold);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(quietPeriod, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(time);
        Threshold = threshold;
        QuietPeriod = quietPeriod;
        _time = time;
        _reclaim = reclaim ?? CollectAggressively;
        // The timer outlives whichever connection first took a large buffer: it must not keep that one's async locals.
        if (ExecutionContext.IsFlowSuppressed())
        {
            _timer = CreateTimer(time);
        }
        else
        {
            using (ExecutionContext.SuppressFlow())
            {
                _timer = CreateTimer(time);
            }
        }
    }

    public long Threshold { get; }

    public TimeSpan QuietPeriod { get; }

    /// <summary>How many collections were made.</summary>
    public int Reclaims => Volatile.Read(ref _reclaims);

    /// <summary>A large buffer was taken.</summary>
    public void Taken() => Volatile.Write(ref _lastActivity, _time.GetTimestamp());

    /// <summary>
    /// A large buffer of <paramref name="bytes"/> was given back: nothing references it any more, or only the pool that
    /// keeps it for the next one and drops it in the collection.
    /// </summary>
    public void GivenBack(long bytes)
    {
        Volatile.Write(ref _lastActivity, _time.GetTimestamp());
        if (Interlocked.Add(ref _givenBack, bytes) >= Threshold && !Volatile.Read(ref _armed))
        {
            lock (_gate)
            {
                if (!_armed)
                {
                    Arm();
                }
            }
        }
    }

    public void Dispose() => _timer.Dispose();

    /// <summary>A blocking, compacting collection of every generation that also decommits the memory it frees.</summary>
    public static void CollectAggressively() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    private ITimer CreateTimer(TimeProvider time) => time.CreateTimer(_ => Elapsed(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    /// <summary>Has the timer go off a quiet period after the latest buffer; under <see cref="_gate"/>.</summary>
    private void Arm()
    {
        _armed = true;
        var left = QuietPeriod - _time.GetElapsedTime(Volatile.Read(ref _lastActivity));
        _timer.Change(left > TimeSpan.Zero ? left : TimeSpan.FromTicks(1), Timeout.InfiniteTimeSpan);
    }

    private void Elapsed()
    {
        lock (_gate)
        {
            if (_time.GetElapsedTime(Volatile.Read(ref _lastActivity)) < QuietPeriod)
            {
                // Still busy: wait until a whole quiet period has passed after the latest buffer.
                Arm();
                return;
            }

            _armed = false;
            Interlocked.Exchange(ref _givenBack, 0);
        }

        _reclaim();
        Interlocked.Increment(ref _reclaims);
    }
}
