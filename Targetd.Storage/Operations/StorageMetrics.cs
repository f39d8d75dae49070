using System.Diagnostics.Metrics;

namespace Targetd.Storage.Operations;

/// <summary>
/// The control APIs' and pools' instruments, on the <see cref="System.Diagnostics.Metrics"/> API (listen to the meter
/// named <see cref="MeterName"/>): <c>api.requests</c> (tags <c>api</c> = jsonrpc or qcow2target,
/// <c>method</c>, <c>result</c> = ok or error, <c>code</c> = targetd's error code or empty),
/// <c>api.request.duration</c> (seconds, tags <c>api</c> and <c>method</c>), and per pool (tag <c>pool</c>)
/// <c>pool.size</c> and <c>pool.free</c> in bytes, as last read by <see cref="PoolCapacity"/>.
/// </summary>
public static class StorageMetrics
{
    /// <summary>The meter's name. Exported to Prometheus (prometheus-net), each instrument is prefixed with it: <c>targetd_storage_</c>.</summary>
    public const string MeterName = "Targetd.Storage";

    internal static readonly Meter Meter = new(MeterName, typeof(StorageMetrics).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Requests = Meter.CreateCounter<long>(
        "api.requests", "{request}", "Control API requests, by method and result");

    internal static readonly Histogram<double> RequestDuration = Meter.CreateHistogram<double>(
        "api.request.duration", "s", "Time to answer a control API request",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300] });
}
