using System.Diagnostics.CodeAnalysis;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

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

    /// <summary>Creates a store for the file at <paramref name="path"/> that binds the document by reflection.</summary>
    [RequiresUnreferencedCode("The document is bound by reflection (Newtonsoft.Json): members that trimming removes are neither written nor read.")]
    [RequiresDynamicCode("The document is bound by reflection (Newtonsoft.Json).")]
    public AtomicJsonFile(string path)
        : this(path, document => JsonConvert.SerializeObject(document, Settings), text => JsonConvert.DeserializeObject<T>(text, Settings))
    {
    }

    /// <summary>Creates a store whose document is written and read by the given functions (no reflection).</summary>
    internal AtomicJsonFile(string path, Func<T, JObject> toJson, Func<JObject, T> fromJson)
        : this(path, document => toJson(document).ToString(Formatting.Indented), text => fromJson(Parse(text)))
    {
    }

    private AtomicJsonFile(string path, Func<T, string> serialize, Func<string, T?> deserialize)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        _serialize = serialize;
        _deserialize = deserialize;
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>The stored document, or null when there is none yet.</summary>
    /// <exception cref="InvalidDataException">The file exists but is not a valid document.</exception>
    public async Task<T?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        string text = await File.ReadAllTextAsync(Path, cancellationToken).ConfigureAwait(false);
        try
        {
            return _deserialize(text);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"The state file '{Path}' is damaged: {ex.Message}", ex);
        }
    }

    /// <summary>Replaces the stored document.</summary>
    public async Task WriteAsync(T document, CancellationToken cancellationToken = default)
    {
        string folder = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(folder);
        string temporary = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Options = FileOptions.Asynchronous,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                byte[] bytes = System.Text.Encoding.UTF8.GetBytes(_serialize(document));
                await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, Path, overwrite: true);
            FlushFolder(folder);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private static JObject Parse(string text)
    {
        using var reader = new JsonTextReader(new StringReader(text)) { MaxDepth = Settings.MaxDepth, DateParseHandling = DateParseHandling.None };
        var json = JToken.ReadFrom(reader);
        return json as JObject ?? throw new InvalidDataException($"the document is {json.Type}, not an object");
    }

    private static void FlushFolder(string folder)
    {
        try
        {
            using var handle = File.OpenHandle(folder, FileMode.Open, FileAccess.Read);
            RandomAccess.FlushToDisk(handle);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Some file systems cannot flush a folder; the rename itself is still atomic.
        }
    }
}
