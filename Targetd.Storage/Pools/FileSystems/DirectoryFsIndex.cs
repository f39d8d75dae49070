using Newtonsoft.Json;

namespace Targetd.Storage.Pools.FileSystems;

/// <summary>The identities of a folder pool's file systems and snapshots, kept in the pool's folder.</summary>
internal sealed class DirectoryFsIndex
{
    /// <summary>File system name → uuid.</summary>
    [JsonProperty("file_systems")]
    public Dictionary<string, string> FileSystems { get; init; } = new(StringComparer.Ordinal);

    /// <summary>"fs/snapshot" → uuid and creation time.</summary>
    [JsonProperty("snapshots")]
    public Dictionary<string, SnapshotRecord> Snapshots { get; init; } = new(StringComparer.Ordinal);

    public static string Key(string fileSystem, string snapshot) => $"{fileSystem}/{snapshot}";

    /// <summary>A snapshot's identity.</summary>
    internal sealed class SnapshotRecord
    {
        [JsonProperty("uuid")]
        public string Uuid { get; init; } = Guid.NewGuid().ToString();

        [JsonProperty("timestamp")]
        public long Timestamp { get; init; }
    }
}
