using Newtonsoft.Json;

namespace Targetd.Storage.Targetd;

/// <summary>The persisted export configuration: initiators (CHAP, own mappings, group) and access groups (mappings).</summary>
public sealed class ExportState
{
    /// <summary>Initiators by iSCSI name.</summary>
    [JsonProperty("initiators")]
    public SortedDictionary<string, InitiatorRecord> Initiators { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Access groups by name.</summary>
    [JsonProperty("access_groups")]
    public SortedDictionary<string, GroupRecord> Groups { get; init; } = new(StringComparer.Ordinal);

    /// <summary>A copy that shares nothing mutable with this state (the mapping and CHAP records are immutable).</summary>
    internal ExportState Copy()
    {
        var copy = new ExportState();
        foreach (var (name, initiator) in Initiators)
        {
            copy.Initiators[name] = new InitiatorRecord { Chap = initiator.Chap, Group = initiator.Group, Mappings = [.. initiator.Mappings] };
        }

        foreach (var (name, group) in Groups)
        {
            copy.Groups[name] = new GroupRecord { Mappings = [.. group.Mappings] };
        }

        return copy;
    }

    /// <summary>One initiator.</summary>
    public sealed class InitiatorRecord
    {
        /// <summary>Its CHAP credentials, null for none.</summary>
        [JsonProperty("chap")]
        public ChapRecord? Chap { get; set; }

        /// <summary>The access group it belongs to, or null.</summary>
        [JsonProperty("group")]
        public string? Group { get; set; }

        /// <summary>Its own mappings (export_create).</summary>
        [JsonProperty("mappings")]
        public List<MappingRecord> Mappings { get; init; } = [];
    }

    /// <summary>One access group.</summary>
    public sealed class GroupRecord
    {
        /// <summary>The group's mappings, seen by every member.</summary>
        [JsonProperty("mappings")]
        public List<MappingRecord> Mappings { get; init; } = [];
    }

    /// <summary>A volume at a LUN.</summary>
    public sealed record MappingRecord([property: JsonProperty("lun")] int Lun, [property: JsonProperty("pool")] string Pool, [property: JsonProperty("volume")] string Volume);

    /// <summary>CHAP credentials as initiator_set_auth sets them.</summary>
    public sealed record ChapRecord(
        [property: JsonProperty("in_user")] string InUser,
        [property: JsonProperty("in_pass")] string InPass,
        [property: JsonProperty("out_user")] string? OutUser,
        [property: JsonProperty("out_pass")] string? OutPass);
}
