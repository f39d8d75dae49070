using Newtonsoft.Json.Linq;

namespace Targetd.Storage.JsonRpc;

/// <summary>The checked named parameters of one call.</summary>
internal sealed class RpcArguments(IReadOnlyDictionary<string, JToken?> values)
{
    /// <summary>A required string parameter.</summary>
    public string Text(string name) => (string)values[name]!;

    /// <summary>An optional or nullable string parameter.</summary>
    public string? OptionalText(string name) => values.TryGetValue(name, out var value) && value is { Type: not JTokenType.Null } ? (string?)value : null;

    /// <summary>A required integer parameter.</summary>
    public long WholeNumber(string name) => (long)values[name]!;

    /// <summary>An optional or nullable integer parameter.</summary>
    public long? OptionalWholeNumber(string name) => values.TryGetValue(name, out var value) && value is { Type: not JTokenType.Null } ? (long)value : null;

    /// <summary>A parameter as sent, or null when absent.</summary>
    public JToken? Raw(string name) => values.TryGetValue(name, out var value) ? value : null;

    /// <summary>A parameter's truthiness as Python sees it (absent, null, false, 0, "" and empty containers are false).</summary>
    public bool Truthy(string name) => values.TryGetValue(name, out var value) && value switch
    {
        null => false,
        { Type: JTokenType.Null or JTokenType.Undefined } => false,
        { Type: JTokenType.Boolean } => (bool)value,
        { Type: JTokenType.Integer } => (long)value != 0,
        { Type: JTokenType.Float } => (double)value != 0,
        { Type: JTokenType.String } => ((string?)value)?.Length > 0,
        JContainer container => container.Count > 0,
        _ => true,
    };
}
