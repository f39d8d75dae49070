using System.Diagnostics.CodeAnalysis;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Targetd.Core.State;

namespace Targetd.Storage.State;

/// <summary>
/// State kept as one JSON document that is replaced atomically: written to a temporary file beside it,
/// flushed to disk, renamed over the old one, and the folder flushed, so a crash leaves the old or the new
/// state, never a mix.
/// </summary>
/// <typeparam name="T">The document type.</typeparam>
public sealed class AtomicJsonFile<T>
    where T : class
{
    private static readonly JsonSerializerSettings Settings = new()
    {
        Formatting = Formatting.Indented,
        MaxDepth = 32,
        NullValueHandling = NullValueHandling.Ignore,
    };

    private readonly Func<T, string> _serialize;
    private readonly Func<string, T?> _deserialize;
    private readonly IStateFileSystem _files;

    /// <summary>Creates a store for the file at <paramref name="path"/> that binds the document by reflection.</summary>
    [RequiresUnreferencedCode("The document is bound by reflection (Newtonsoft.Json): members that trimming removes are neither written nor read.")]
    [RequiresDynamicCode("The document is bound by reflection (Newtonsoft.Json).")]
    public AtomicJsonFile(string path)
        : this(path, document => JsonConvert.SerializeObject(document, Settings), text => JsonConvert.DeserializeObject<T>(text, Settings), LocalStateFileSystem.Instance)
    {
    }

    /// <summary>Creates a store whose document is written and read by the given functions (no reflection).</summary>
    internal AtomicJsonFile(string path, Func<T, JObject> toJson, Func<JObject, T> fromJson)
        : this(path, toJson, fromJson, LocalStateFileSystem.Instance)
    {
    }

    /// <summary>Creates a store kept through <paramref name="files"/>.</summary>
    internal AtomicJsonFile(string path, Func<T, JObject> toJson, Func<JObject, T> fromJson, IStateFileSystem files)
        : this(path, document => toJson(document).ToString(Formatting.Indented), text => fromJson(Parse(text)), files)
    {
    }

    private AtomicJsonFile(string path, Func<T, string> serialize, Func<string, T?> deserialize, IStateFileSystem files)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        _serialize = serialize;
        _deserialize = deserialize;
        _files = files;
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>The stored document, or null when there is none yet.</summary>
    /// <exception cref="InvalidDataException">The file exists but is not a valid document.</exception>
    public async Task<T?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (!_files.Exists(Path))
        {
            return null;
        }

        string text = await _files.ReadAllTextAsync(Path, cancellationToken).ConfigureAwait(false);
        try
        {
            return _deserialize(text);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"The state file '{Path}' is damaged: {ex.Message}", ex);
        }
    }

    /// <summary>Replaces the stored document; it is durable when this returns (<see cref="DurableFile"/>).</summary>
    public Task WriteAsync(T document, CancellationToken cancellationToken = default)
    {
        string temporary = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        return DurableFile.ReplaceAsync(_files, Path, temporary, System.Text.Encoding.UTF8.GetBytes(_serialize(document)), cancellationToken);
    }

    private static JObject Parse(string text)
    {
        using var reader = new JsonTextReader(new StringReader(text)) { MaxDepth = Settings.MaxDepth, DateParseHandling = DateParseHandling.None };
        var json = JToken.ReadFrom(reader);
        return json as JObject ?? throw new InvalidDataException($"the document is {json.Type}, not an object");
    }
}
