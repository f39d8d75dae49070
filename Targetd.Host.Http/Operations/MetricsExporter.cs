using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Prometheus;

namespace Targetd.Hosting;

/// <summary>
/// The Prometheus endpoint of a daemon: <c>GET /metrics</c> on a listener of its own (plain HTTP, no
/// authentication, as Prometheus scrapes), served by prometheus-net's Kestrel server. Everything the libraries
/// record on <see cref="System.Diagnostics.Metrics"/> is exported with its Prometheus type by <see cref="MeterBridge"/>, beside
/// its process metrics (CPU, memory, file descriptors) and the .NET runtime's own meter.
/// </summary>
internal sealed class MetricsExporter : IDisposable
{
    /// <summary>Bucket boundaries, in seconds, for histograms whose instruments advise none.</summary>
    private static readonly double[] DefaultBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly KestrelMetricServer _server;
    private readonly IDisposable _adapter;

    private MetricsExporter(KestrelMetricServer server, IDisposable adapter)
    {
        _server = server;
        _adapter = adapter;
    }

    /// <summary>The address listened on.</summary>
    public required IPEndPoint Address { get; init; }

    /// <summary>Starts the endpoint; <paramref name="beforeScrape"/> runs before each scrape (pool sizes are read there).</summary>
    /// <exception cref="IOException">The address cannot be listened on.</exception>
    public static MetricsExporter Start(IPEndPoint address, Func<CancellationToken, Task>? beforeScrape)
    {
        ArgumentNullException.ThrowIfNull(address);
        // The runtime's own meter replaces the older event counters, prometheus-net's debug metrics are left out, and
        // meters are exported by our bridge (typed, from the start, so nothing recorded before the first scrape is missed).
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true, SuppressDebugMetrics = true, SuppressMeters = true });
        var adapter = new MeterBridge(Metrics.DefaultRegistry, Exported, DefaultBuckets);
        if (beforeScrape is not null)
        {
            Metrics.DefaultRegistry.AddBeforeCollectCallback(async cancellationToken =>
            {
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                bounded.CancelAfter(TimeSpan.FromSeconds(10));
                await beforeScrape(bounded.Token).ConfigureAwait(false);
            });
        }

        string host = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address.Address}]" : address.Address.ToString();
        var server = new KestrelMetricServer(host, address.Port);
        try
        {
            server.Start();
        }
        catch (Exception ex) when (ex is IOException or SocketException or InvalidOperationException)
        {
            server.Dispose();
            adapter.Dispose();
            throw new IOException($"metrics_address: cannot listen on {address}: {ex.Message}", ex);
        }

        return new MetricsExporter(server, adapter) { Address = address };
    }

    public void Dispose()
    {
        _server.Dispose();
        _adapter.Dispose();
    }

    /// <summary>
    /// Our meters and the runtime's, but for the runtime's instruments named "*.count", which Prometheus's naming
    /// rules reserve for histograms (prometheus-net's own <c>dotnet_*</c> and <c>process_*</c> metrics carry the same facts).
    /// </summary>
    private static bool Exported(Instrument instrument) =>
        instrument.Meter.Name.StartsWith("Targetd.", StringComparison.Ordinal)
        || (instrument.Meter.Name == "System.Runtime" && !instrument.Name.EndsWith(".count", StringComparison.Ordinal));

}
