using Microsoft.Extensions.Logging;

namespace Targetd.Tests.Support;

/// <summary>One entry a <see cref="CollectingLogger"/> kept.</summary>
internal sealed record LogEntry(LogLevel Level, string Message, IReadOnlyDictionary<string, string?> Fields, IReadOnlyList<string> Scopes);
