using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Targetd.Qcow2;

/// <summary>
/// The qcow2 engine's instruments, on the <see cref="System.Diagnostics.Metrics"/> API (listen to the meter named
/// <see cref="MeterName"/>). Per open image (tag <c>image</c>, the file's path): <c>host_clusters</c>
/// (the image file's extent in clusters: one past the highest host cluster in use or within the file, so it
/// counts the header, tables, snapshot-only data and free clusters below the end alike, and does not shrink when
/// clusters are freed; it is not <see cref="Qcow2CheckResult.AllocatedClusters"/>, the guest clusters the active
/// layer maps),
/// <c>metadata_cache.hits</c> and <c>.misses</c> (tag <c>table</c> = l2 or refcount) and
/// <c>flushes</c>. The counts are kept as plain fields on the image and read when the
/// meter is collected, so the data path pays nothing for them.
/// </summary>
public static class Qcow2Metrics
{
    /// <summary>The meter's name. Exported to Prometheus (prometheus-net), each instrument is prefixed with it: <c>targetd_qcow2_</c>.</summary>
    public const string MeterName = "Targetd.Qcow2";

    private static readonly ConcurrentDictionary<Qcow2Image, byte> OpenImages = new();

    internal static readonly Meter Meter = new(MeterName, typeof(Qcow2Metrics).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Flushes = Meter.CreateCounter<long>(
        "flushes", "{flush}", "Flushes of an image: guest data, then metadata, made durable");

    private static readonly ObservableGauge<long> HostClusters = Meter.CreateObservableGauge(
        "host_clusters", () => Observe(i => i.HostEndCluster), "{cluster}",
        "The image file's extent in clusters: one past the highest host cluster in use or within the file (header, tables, snapshot-only data and free clusters below the end included; not qemu-img check's allocated clusters)");

    private static readonly ObservableCounter<long> CacheHits = Meter.CreateObservableCounter(
        "metadata_cache.hits", () => ObserveCache(hits: true), "{lookup}", "Metadata table lookups served from the cache");

    private static readonly ObservableCounter<long> CacheMisses = Meter.CreateObservableCounter(
        "metadata_cache.misses", () => ObserveCache(hits: false), "{lookup}", "Metadata table lookups that read the image file");

    internal static void Opened(Qcow2Image image) => OpenImages.TryAdd(image, 0);

    internal static void Closed(Qcow2Image image) => OpenImages.TryRemove(image, out _);

    private static IEnumerable<Measurement<long>> Observe(Func<Qcow2Image, long> value) =>
        OpenImages.Keys.Select(image => new Measurement<long>(value(image), new KeyValuePair<string, object?>("image", image.Path)));

    private static IEnumerable<Measurement<long>> ObserveCache(bool hits)
    {
        foreach (var image in OpenImages.Keys)
        {
            var (l2, refcount) = image.CacheLookups(hits);
            var tag = new KeyValuePair<string, object?>("image", image.Path);
            yield return new Measurement<long>(l2, tag, new KeyValuePair<string, object?>("table", "l2"));
            yield return new Measurement<long>(refcount, tag, new KeyValuePair<string, object?>("table", "refcount"));
        }
    }
}
