using System.Globalization;
using Newtonsoft.Json.Linq;

namespace Targetd.Storage.State;

/// <summary>
/// Reading a state document's fields from a parsed JSON object by name, with no reflection, so the documents
/// survive trimming and Native AOT. A field of the wrong type is <see cref="InvalidDataException"/>; a missing one
/// is its default, as it was when the documents were bound by reflection.
/// </summary>
internal static class JsonFields
{
    public static string? String(JObject json, string name) =>
        json[name] switch
        {
            null or { Type: JTokenType.Null } => null,
            { Type: JTokenType.String } value => (string)value!,
            var other => throw Wrong(name, other, "a string"),
        };

    public static string RequiredString(JObject json, string name) =>
        String(json, name) ?? throw new InvalidDataException($"'{name}' is missing");

    public static long Integer(JObject json, string name) =>
        json[name] switch
        {
            null or { Type: JTokenType.Null } => 0,
            { Type: JTokenType.Integer } value => (long)value,
            var other => throw Wrong(name, other, "an integer"),
        };

    public static int Int32(JObject json, string name)
    {
        long value = Integer(json, name);
        return value is >= int.MinValue and <= int.MaxValue ? (int)value : throw new InvalidDataException($"'{name}' is out of range");
    }

    /// <summary>The members of an object field, each an object, in document order.</summary>
    public static IEnumerable<(string Name, JObject Value)> Objects(JObject json, string name) =>
        Object(json, name).Properties().Select(p => (p.Name, p.Value as JObject ?? throw Wrong(p.Name, p.Value, "an object")));

    /// <summary>The members of an object field, each a string.</summary>
    public static IEnumerable<(string Name, string Value)> Strings(JObject json, string name) =>
        Object(json, name).Properties().Select(p => (p.Name, p.Value.Type == JTokenType.String ? (string)p.Value! : throw Wrong(p.Name, p.Value, "a string")));

    /// <summary>The items of an array field, each an object.</summary>
    public static IEnumerable<JObject> Items(JObject json, string name) =>
        json[name] switch
        {
            null or { Type: JTokenType.Null } => [],
            JArray array => array.Select(item => item as JObject ?? throw Wrong(name, item, "an array of objects")),
            var other => throw Wrong(name, other, "an array"),
        };

    /// <summary>An object field, or null when it is missing or null.</summary>
    public static JObject? OptionalObject(JObject json, string name) =>
        json[name] switch
        {
            null or { Type: JTokenType.Null } => null,
            JObject value => value,
            var other => throw Wrong(name, other, "an object"),
        };

    /// <summary>An object of string members.</summary>
    public static JObject ToObject(IEnumerable<KeyValuePair<string, string>> members)
    {
        var json = new JObject();
        foreach (var (name, value) in members)
        {
            json[name] = value;
        }

        return json;
    }

    private static JObject Object(JObject json, string name) => OptionalObject(json, name) ?? [];

    private static InvalidDataException Wrong(string name, JToken value, string expected) =>
        new(string.Create(CultureInfo.InvariantCulture, $"'{name}' is {value.Type}, not {expected}"));
}
