using Microsoft.Extensions.Logging;

namespace Targetd.Storage.Pools;

/// <summary>
/// Logs how far a <c>vol_copy</c> has come, at Information: each time it passes another tenth, when
/// <see cref="Interval"/> has gone by since the last line, and at 100 %. Percentages only go up.
/// </summary>
internal sealed partial class VolumeCopyProgress(ILogger logger, string pool, string source, string destination, TimeProvider time) : IProgress<double>
{
    /// <summary>The longest a running copy stays silent.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private double _logged;
    private long _loggedAt = time.GetTimestamp();

    /// <summary>Hears the percentage done.</summary>
    public void Report(double value)
    {
        double percent = Math.Clamp(value, 0, 100);
        if (percent <= _logged)
        {
            return;
        }

        bool nextTenth = Math.Floor(percent / 10) > Math.Floor(_logged / 10);
        if (nextTenth || time.GetElapsedTime(_loggedAt) >= Interval)
        {
            _logged = percent;
            _loggedAt = time.GetTimestamp();
            LogCopyProgress(logger, pool, source, destination, percent);
        }
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "vol_copy {Pool}/{Source} to {Destination}: {Percent:F1} % copied")]
    private static partial void LogCopyProgress(ILogger logger, string pool, string source, string destination, double percent);
}
