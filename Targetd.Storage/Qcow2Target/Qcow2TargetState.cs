using Newtonsoft.Json;

namespace Targetd.Storage.Qcow2Target;

/// <summary>The persisted qcow2target state: targets, their ids and their attached disks.</summary>
public sealed class Qcow2TargetState
{
    /// <summary>The targets in the order they were added.</summary>
    [JsonProperty("targets")]
    public List<TargetRecord> Targets { get; init; } = [];

    /// <summary>
    /// The unit serial number of every disk ever attached, by canonical path: a disk keeps its SCSI identity
    /// (VPD pages 80h and 83h) across restarts, detaches and attaches to other targets or LUNs.
    /// </summary>
    [JsonProperty("serials")]
    public Dictionary<string, string> Serials { get; init; } = new(StringComparer.Ordinal);

    /// <summary>One target.</summary>
    public sealed class TargetRecord
    {
        /// <summary>The iSCSI target name.</summary>
        [JsonProperty("name")]
        public string Name { get; init; } = string.Empty;

        /// <summary>The target id LIST reports.</summary>
        [JsonProperty("id")]
        public int Id { get; init; }

        /// <summary>Attached disks by LUN.</summary>
        [JsonProperty("luns")]
        public List<LunRecord> Luns { get; init; } = [];
    }

    /// <summary>One attached disk.</summary>
    public sealed class LunRecord
    {
        /// <summary>The LUN number.</summary>
        [JsonProperty("lun")]
        public int Lun { get; init; }

        /// <summary>The disk's canonical path.</summary>
        [JsonProperty("path")]
        public string Path { get; init; } = string.Empty;
    }
}
