using Microsoft.Extensions.Logging;

namespace Targetd.Tests.Support;

/// <summary>An <see cref="ILoggerFactory"/> whose loggers all write into one <see cref="CollectingLogger"/>.</summary>
internal sealed class CollectingLoggerFactory : ILoggerFactory
{
    public CollectingLogger Logger { get; } = new();

    public ILogger CreateLogger(string categoryName) => Logger;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }
}
