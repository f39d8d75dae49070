using System.Diagnostics.Metrics;

namespace Targetd.Iscsi.Metrics;

/// <summary>
/// The target's instruments, on the <see cref="System.Diagnostics.Metrics"/> API: listen to the meter named
/// <see cref="MeterName"/> (a <see cref="MeterListener"/>, OpenTelemetry or prometheus-net's meter adapter).
/// Per logical unit (tags <c>target</c>, <c>lun</c>, <c>serial</c>): <c>scsi.command.duration</c>
/// (histogram in seconds, tag <c>kind</c> = read, write or other; its count is the number of commands),
/// <c>scsi.bytes</c> (tag <c>direction</c> = read or write) and <c>scsi.errors</c>
/// (tags <c>status</c> and, for CHECK CONDITION, <c>sense_key</c>). Per target (tag <c>target</c>, empty for
/// discovery): <c>sessions</c> and <c>logins.refused</c> (tag <c>reason</c>).
/// </summary>
public static class IscsiMetrics
{
    /// <summary>The meter's name. Exported to Prometheus (prometheus-net), each instrument is prefixed with it: <c>targetd_iscsi_</c>.</summary>
    public const string MeterName = "Targetd.Iscsi";

    internal static readonly Meter Meter = new(MeterName, typeof(IscsiMetrics).Assembly.GetName().Version?.ToString());

    internal static readonly Histogram<double> CommandDuration = Meter.CreateHistogram<double>(
        "scsi.command.duration", "s", "Time from a SCSI command's arrival at the logical unit to its status",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    internal static readonly Counter<long> Bytes = Meter.CreateCounter<long>(
        "scsi.bytes", "By", "Bytes read from and written to a logical unit by commands that succeeded");

    internal static readonly Counter<long> Errors = Meter.CreateCounter<long>(
        "scsi.errors", "{command}", "SCSI commands that ended with a status other than GOOD");

    internal static readonly UpDownCounter<long> Sessions = Meter.CreateUpDownCounter<long>(
        "sessions", "{session}", "Logged-in iSCSI sessions");

    internal static readonly Counter<long> LoginsRefused = Meter.CreateCounter<long>(
        "logins.refused", "{login}", "Logins answered with a status other than success");
}
