using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Targetd.Storage.Pools;
using Targetd.Storage.Pools.FileSystems;

namespace Targetd.Storage.Operations;

/// <summary>
/// Pool sizes for the <c>pool.size</c> and <c>pool.free</c> gauges. Reading a pool's size may run
/// a tool (<c>vgs</c>, <c>btrfs</c>) or reach a cluster, which a gauge's synchronous callback must not do, so
/// <see cref="RefreshAsync"/> reads every pool (a scrape calls it) and the gauges report the last values read.
/// A pool that cannot be read drops out of the gauges until it can.
/// </summary>
public sealed class PoolCapacity
{
    private static readonly ConcurrentDictionary<PoolCapacity, byte> Live = new();
    private readonly IReadOnlyList<IBlockPool> _blockPools;
    private readonly IReadOnlyList<IFsPool> _fsPools;
    private readonly ConcurrentDictionary<string, (long Size, long Free)> _last = new(StringComparer.Ordinal);

    private static readonly ObservableGauge<long> Size = StorageMetrics.Meter.CreateObservableGauge(
        "pool.size", () => Observe(free: false), "By", "A pool's size, as pool_list reports it");

    private static readonly ObservableGauge<long> Free = StorageMetrics.Meter.CreateObservableGauge(
        "pool.free", () => Observe(free: true), "By", "A pool's free space, as pool_list reports it");

    /// <summary>Reports these pools until <see cref="Stop"/>.</summary>
    public PoolCapacity(IReadOnlyList<IBlockPool> blockPools, IReadOnlyList<IFsPool> fsPools)
    {
        _blockPools = blockPools ?? throw new ArgumentNullException(nameof(blockPools));
        _fsPools = fsPools ?? throw new ArgumentNullException(nameof(fsPools));
        Live.TryAdd(this, 0);
    }

    /// <summary>The values the gauges report now, by pool name.</summary>
    public IReadOnlyDictionary<string, (long Size, long Free)> Last => _last;

    /// <summary>Reads every pool's size and free space, all at once, each bounded by the token.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        var reads = _blockPools.Select(p => ReadAsync(p.Name, async ct => await p.GetInfoAsync(ct).ConfigureAwait(false) is var i ? (i.Size, i.FreeSize) : default, cancellationToken))
            .Concat(_fsPools.Select(p => ReadAsync(p.Name, async ct => await p.GetInfoAsync(ct).ConfigureAwait(false) is var i ? (i.Size, i.FreeSize) : default, cancellationToken)));
        await Task.WhenAll(reads).ConfigureAwait(false);
    }

    /// <summary>Stops reporting these pools.</summary>
    public void Stop() => Live.TryRemove(this, out _);

    private async Task ReadAsync(string name, Func<CancellationToken, Task<(long Size, long Free)>> read, CancellationToken cancellationToken)
    {
        try
        {
            _last[name] = await read(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _last.TryRemove(name, out _);
        }
    }

    private static IEnumerable<Measurement<long>> Observe(bool free) =>
        Live.Keys.SelectMany(capacity => capacity._last)
            .Select(p => new Measurement<long>(free ? p.Value.Free : p.Value.Size, new KeyValuePair<string, object?>("pool", p.Key)));
}
