using Microsoft.Extensions.Logging;

namespace Targetd.Tests.Support;

/// <summary>An <see cref="ILogger"/> that keeps each entry's level, text and fields, and the scopes open when it was written.</summary>
internal sealed class CollectingLogger : ILogger
{
    private readonly List<LogEntry> _entries = [];
    private readonly AsyncLocal<List<object?>?> _scopes = new();

    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull
    {
        var previous = _scopes.Value;
        _scopes.Value = [.. previous ?? [], state];
        return new Scope(() => _scopes.Value = previous);
    }

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.ToDictionary(p => p.Key, p => Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal)
            : [];
        var scopes = (_scopes.Value ?? []).Select(s => s?.ToString() ?? string.Empty).ToList();
        lock (_entries)
        {
            _entries.Add(new LogEntry(logLevel, formatter(state, exception), fields, scopes));
        }
    }

    private sealed class Scope(Action end) : IDisposable
    {
        public void Dispose() => end();
    }
}
