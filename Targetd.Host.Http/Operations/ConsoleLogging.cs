using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Targetd.Hosting;

/// <summary>
/// A daemon's console log: <c>text</c>, one line per entry with its scopes (so a call's request id shows), or
/// <c>json</c>, one JSON object per line (timestamp in UTC, level, category, message, the message's fields
/// under <c>State</c> and the scopes under <c>Scopes</c>).
/// </summary>
internal static class ConsoleLogging
{
    public static readonly IReadOnlyList<string> Formats = ["text", "json"];

    /// <exception cref="ArgumentException">An unknown format.</exception>
    public static string ParseFormat(string value) =>
        Formats.FirstOrDefault(f => string.Equals(f, value, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"log_format: '{value}' is not text or json");

    public static ILoggingBuilder AddDaemonConsole(this ILoggingBuilder logging, string format)
    {
        ArgumentNullException.ThrowIfNull(logging);
        return format == "json"
            ? logging.AddJsonConsole(console =>
            {
                console.IncludeScopes = true;
                console.UseUtcTimestamp = true;
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                console.JsonWriterOptions = new JsonWriterOptions { Indented = false };
            })
            : logging.AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.IncludeScopes = true;
                console.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
                console.ColorBehavior = LoggerColorBehavior.Disabled;
            });
    }
}
