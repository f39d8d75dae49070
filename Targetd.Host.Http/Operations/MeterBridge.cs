using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Prometheus;

namespace Targetd.Hosting;

/// <summary>
/// Exports <see cref="System.Diagnostics.Metrics"/> instruments as Prometheus metrics of their own type: a counter
/// becomes a counter named <c>*_total</c>, an up-down counter or observable gauge a gauge, a histogram a histogram
/// with the buckets its instrument advises, and the unit becomes the name's suffix (<c>s</c> → <c>_seconds</c>,
/// <c>By</c> → <c>_bytes</c>), as the Prometheus naming rules and OpenTelemetry's Prometheus mapping have it.
/// (prometheus-net's own meter adapter exports every counter as a gauge, which <c>rate()</c> users and Grafana
/// then warn about.) Observable instruments are read just before each scrape.
/// </summary>
internal sealed class MeterBridge : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Func<Instrument, bool> _exported;
    private readonly IMetricFactory _factory;
    private readonly double[] _defaultBuckets;
    private readonly ConcurrentDictionary<string, byte> _names = new(StringComparer.Ordinal);

    public MeterBridge(CollectorRegistry registry, Func<Instrument, bool> exported, double[] defaultBuckets)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _exported = exported;
        _defaultBuckets = defaultBuckets;
        _factory = Metrics.WithCustomRegistry(registry);
        _listener.InstrumentPublished = Publish;
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, state) => ((ExportedInstrument)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, state) => ((ExportedInstrument)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, state) => ((ExportedInstrument)state!).Record(value, tags));
        _listener.Start();
        registry.AddBeforeCollectCallback(_listener.RecordObservableInstruments);
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>The Prometheus name of an instrument: meter and instrument name, unit suffix, <c>_total</c> for counters.</summary>
    internal static string PrometheusName(Instrument instrument)
    {
        // The runtime's instruments are already named "dotnet.*"; ours carry their library's meter name.
        string name = Sanitized(instrument.Meter.Name == "System.Runtime" ? instrument.Name : $"{instrument.Meter.Name}.{instrument.Name}").ToLowerInvariant();
        string suffix = instrument.Unit switch
        {
            "s" => "_seconds",
            "ms" => "_milliseconds",
            "By" => "_bytes",
            _ => string.Empty,
        };
        if (suffix.Length > 0 && !name.EndsWith(suffix, StringComparison.Ordinal))
        {
            name += suffix;
        }

        return IsCounter(instrument) ? name + "_total" : name;
    }

    /// <summary>A metric or label name: every character but ASCII letters and digits becomes '_'.</summary>
    private static string Sanitized(string name) => string.Create(name.Length, name, static (chars, source) =>
    {
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = char.IsAsciiLetterOrDigit(source[i]) ? source[i] : '_';
        }
    });

    private static bool IsCounter(Instrument instrument) =>
        instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() is var definition
        && (definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>));

    private void Publish(Instrument instrument, MeterListener listener)
    {
        string name = PrometheusName(instrument);
        // One instrument per Prometheus name: a second of the same name (another meter instance) is left out.
        if (_exported(instrument) && _names.TryAdd(name, 0))
        {
            listener.EnableMeasurementEvents(instrument, new ExportedInstrument(instrument, name, this));
        }
    }

    /// <summary>One instrument's Prometheus metric, made at its first measurement, when its tag names are known.</summary>
    private sealed class ExportedInstrument(Instrument instrument, string name, MeterBridge bridge)
    {
        private readonly Lock _creating = new();
        private string[]? _tagKeys;
        private Action<string[], double>? _record;

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            // Runs for every measurement (twice per SCSI command): tags are matched to labels by their keys as first
            // seen, in place when they come in the same order, so nothing but the label values is made here.
            var keys = _tagKeys ?? Create(tags);
            var values = new string[keys.Length];
            Array.Fill(values, string.Empty);
            for (int t = 0; t < tags.Length; t++)
            {
                int index = t < keys.Length && string.Equals(keys[t], tags[t].Key, StringComparison.Ordinal) ? t : Array.IndexOf(keys, tags[t].Key);
                if (index >= 0)
                {
                    values[index] = Convert.ToString(tags[t].Value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
                }
            }

            _record!(values, value);
        }

        private string[] Create(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var keys = new string[tags.Length];
            for (int i = 0; i < tags.Length; i++)
            {
                keys[i] = tags[i].Key;
            }

            lock (_creating)
            {
                if (_tagKeys is not null)
                {
                    return _tagKeys;
                }

                string help = instrument.Description ?? instrument.Name;
                var labelNames = Array.ConvertAll(keys, Sanitized);
                _record = instrument switch
                {
                    Histogram<double> or Histogram<long> or Histogram<int> => HistogramOf(help, labelNames),
                    _ when IsCounter(instrument) && instrument.IsObservable => CounterOf(help, labelNames, absolute: true),
                    _ when IsCounter(instrument) => CounterOf(help, labelNames, absolute: false),
                    _ when instrument.IsObservable => GaugeOf(help, labelNames, absolute: true),
                    _ => GaugeOf(help, labelNames, absolute: false),
                };
                _tagKeys = keys;
                return keys;
            }
        }

        private Action<string[], double> CounterOf(string help, string[] labelNames, bool absolute)
        {
            var counter = bridge._factory.CreateCounter(name, help, labelNames);
            return absolute ? (values, value) => counter.WithLabels(values).IncTo(value) : (values, value) => counter.WithLabels(values).Inc(value);
        }

        private Action<string[], double> GaugeOf(string help, string[] labelNames, bool absolute)
        {
            var gauge = bridge._factory.CreateGauge(name, help, labelNames);
            return absolute ? (values, value) => gauge.WithLabels(values).Set(value) : (values, value) => gauge.WithLabels(values).Inc(value);
        }

        private Action<string[], double> HistogramOf(string help, string[] labelNames)
        {
            double[] buckets = instrument switch
            {
                Histogram<double> { Advice.HistogramBucketBoundaries: { Count: > 0 } advised } => [.. advised],
                Histogram<long> { Advice.HistogramBucketBoundaries: { Count: > 0 } advised } => [.. advised.Select(b => (double)b)],
                _ => bridge._defaultBuckets,
            };
            var histogram = bridge._factory.CreateHistogram(name, help, labelNames, new HistogramConfiguration { Buckets = buckets });
            return (values, value) => histogram.WithLabels(values).Observe(value);
        }
    }
}
