using System.Collections.Immutable;
using Newtonsoft.Json;

namespace Targetd.Storage.Targetd;

/// <summary>
/// The persisted export configuration: initiators (CHAP, own mappings, group) and access groups (mappings).
/// Immutable: a change makes a new state that shares what did not change.
/// </summary>
public sealed record ExportState
{
    /// <summary>Initiators by iSCSI name (compared without case).</summary>
    [JsonProperty("initiators")]
    public ImmutableSortedDictionary<string, InitiatorRecord> Initiators { get; init; } =
        ImmutableSortedDictionary.Create<string, InitiatorRecord>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Access groups by name.</summary>
    [JsonProperty("access_groups")]
    public ImmutableSortedDictionary<string, GroupRecord> Groups { get; init; } =
        ImmutableSortedDictionary.Create<string, GroupRecord>(StringComparer.Ordinal);

    /// <summary>An initiator's record, or an empty one when it has none.</summary>
    internal InitiatorRecord InitiatorOrNew(string initiator) => Initiators.GetValueOrDefault(initiator) ?? new InitiatorRecord();

    /// <summary>This state with <paramref name="initiator"/>'s record set.</summary>
    internal ExportState With(string initiator, InitiatorRecord record) => this with { Initiators = Initiators.SetItem(initiator, record) };

    /// <summary>This state with access group <paramref name="group"/> set.</summary>
    internal ExportState With(string group, GroupRecord record) => this with { Groups = Groups.SetItem(group, record) };

    /// <summary>This state without <paramref name="initiator"/>.</summary>
    internal ExportState WithoutInitiator(string initiator) => this with { Initiators = Initiators.Remove(initiator) };

    /// <summary>This state without access group <paramref name="group"/>.</summary>
    internal ExportState WithoutGroup(string group) => this with { Groups = Groups.Remove(group) };

    /// <summary>One initiator.</summary>
    public sealed record InitiatorRecord
    {
        /// <summary>Its CHAP credentials, null for none.</summary>
        [JsonProperty("chap")]
        public ChapRecord? Chap { get; init; }

        /// <summary>The access group it belongs to, or null.</summary>
        [JsonProperty("group")]
        public string? Group { get; init; }

        /// <summary>Its own mappings (export_create).</summary>
        [JsonProperty("mappings")]
        public ImmutableList<MappingRecord> Mappings { get; init; } = [];
    }

    /// <summary>One access group.</summary>
    public sealed record GroupRecord
    {
        /// <summary>The group's mappings, seen by every member.</summary>
        [JsonProperty("mappings")]
        public ImmutableList<MappingRecord> Mappings { get; init; } = [];
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
