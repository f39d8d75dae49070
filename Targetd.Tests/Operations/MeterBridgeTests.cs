using System.Diagnostics.Metrics;
using System.Text;
using Prometheus;
using Targetd.Hosting;

namespace Targetd.Tests.Operations;

/// <summary>How the daemons' metrics endpoint renders System.Diagnostics.Metrics instruments in Prometheus's text format.</summary>
public sealed class MeterBridgeTests
{
    private Meter _meter = null!;
    private CollectorRegistry _registry = null!;
    private MeterBridge _bridge = null!;

    [SetUp]
    public void SetUp()
    {
        _meter = new Meter($"Targetd.Bridge{TestContext.CurrentContext.Test.ID.Replace("-", string.Empty, StringComparison.Ordinal)}");
        _registry = Metrics.NewCustomRegistry();
        _bridge = new MeterBridge(_registry, i => i.Meter == _meter, [0.001, 0.01, 0.1]);
    }

    [TearDown]
    public void TearDown()
    {
        _bridge.Dispose();
        _meter.Dispose();
    }

    [Test]
    public async Task A_counter_is_a_counter_named_with_its_unit_and_total()
    {
        var bytes = _meter.CreateCounter<long>("scsi.bytes", "By", "Bytes moved");
        bytes.Add(4096, new("direction", "read"), new("lun.id", 3));
        bytes.Add(512, new("direction", "read"), new("lun.id", 3));
        bytes.Add(7, new("direction", "write"), new("lun.id", 3));

        string text = await ScrapeAsync();

        string name = $"{Prefix}_scsi_bytes_total";
        text.Should().Contain($"# TYPE {name} counter")
            .And.Contain($"# HELP {name} Bytes moved")
            .And.Contain($"{name}{{direction=\"read\",lun_id=\"3\"}} 4608")
            .And.Contain($"{name}{{direction=\"write\",lun_id=\"3\"}} 7");
    }

    [Test]
    public async Task A_histogram_keeps_the_advised_buckets_and_the_seconds_suffix()
    {
        var duration = _meter.CreateHistogram<double>("command.duration", "s", "Latency", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.001] });
        duration.Record(0.00005, new KeyValuePair<string, object?>("kind", "read"));
        duration.Record(0.0005, new KeyValuePair<string, object?>("kind", "read"));
        duration.Record(2, new KeyValuePair<string, object?>("kind", "read"));

        string text = await ScrapeAsync();

        string name = $"{Prefix}_command_duration_seconds";
        text.Should().Contain($"# TYPE {name} histogram")
            .And.Contain($"{name}_bucket{{kind=\"read\",le=\"0.0001\"}} 1")
            .And.Contain($"{name}_bucket{{kind=\"read\",le=\"0.001\"}} 2")
            .And.Contain($"{name}_bucket{{kind=\"read\",le=\"+Inf\"}} 3")
            .And.Contain($"{name}_count{{kind=\"read\"}} 3");
    }

    [Test]
    public async Task Up_down_counters_and_observable_instruments_are_read_as_they_stand()
    {
        var sessions = _meter.CreateUpDownCounter<long>("sessions", "{session}");
        long hits = 10;
        _meter.CreateObservableCounter("cache.hits", () => hits, "{lookup}");
        _meter.CreateObservableGauge("pool.size", () => new Measurement<long>(1 << 30, new KeyValuePair<string, object?>("pool", "images")), "By");
        sessions.Add(1, new KeyValuePair<string, object?>("target", "t"));
        sessions.Add(1, new KeyValuePair<string, object?>("target", "t"));
        sessions.Add(-1, new KeyValuePair<string, object?>("target", "t"));

        string first = await ScrapeAsync();
        hits = 25;
        string second = await ScrapeAsync();

        first.Should().Contain($"# TYPE {Prefix}_sessions gauge").And.Contain($"{Prefix}_sessions{{target=\"t\"}} 1")
            .And.Contain($"# TYPE {Prefix}_cache_hits_total counter").And.Contain($"{Prefix}_cache_hits_total 10")
            .And.Contain($"# TYPE {Prefix}_pool_size_bytes gauge").And.Contain($"{Prefix}_pool_size_bytes{{pool=\"images\"}} 1073741824");
        second.Should().Contain($"{Prefix}_cache_hits_total 25");
    }

    [Test]
    public void Runtime_instruments_keep_their_dotnet_names()
    {
        using var runtime = new Meter("System.Runtime");
        var collections = runtime.CreateCounter<long>("dotnet.gc.collections", "{collection}");

        MeterBridge.PrometheusName(collections).Should().Be("dotnet_gc_collections_total");
        MeterBridge.PrometheusName(_meter.CreateHistogram<double>("api.request.duration", "s")).Should().Be($"{Prefix}_api_request_duration_seconds");
    }

    private string Prefix => _meter.Name.ToLowerInvariant().Replace('.', '_');

    private async Task<string> ScrapeAsync()
    {
        using var stream = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
