using System.Runtime;

namespace Targetd.Iscsi.Server;

/// <summary>
/// Gives the memory of a burst back to the system once it is over. Transfers over <see cref="IoBufferPool.PooledLimit"/>
/// are allocated per command and left to the collector, but an idle daemon runs no collection, so they would stay
/// resident: when the registry's buffer budget empties after a large burst, one full, compacting collection runs a
/// little later (the last buffers are given back just after the budget), at most once per <see cref="MinimumInterval"/>.
/// </summary>
internal sealed class BurstMemoryRelease
{
    /// <summary>The wait after a burst ends before collecting, and the least time between two collections.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time;
    private int _scheduled;

    public BurstMemoryRelease(BufferBudget budget, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        budget.BurstEnded += Schedule;
    }

    /// <summary>How many collections it has run.</summary>
    public int Collections { get; private set; }

    private void Schedule()
    {
        if (Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            _ = ReleaseLaterAsync();
        }
    }

    private async Task ReleaseLaterAsync()
    {
        try
        {
            await Task.Delay(MinimumInterval, _time).ConfigureAwait(false);
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            Collections++;
        }
        finally
        {
            Volatile.Write(ref _scheduled, 0);
        }
    }
}
