using Newtonsoft.Json.Linq;
using Targetd.Storage.State;

namespace Targetd.Storage.Pools.FileSystems;

/// <summary>A folder fs pool's index file, written and read field by field (no reflection: it survives trimming).</summary>
internal static class DirectoryFsIndexJson
{
    public static JObject ToJson(DirectoryFsIndex index)
    {
        var snapshots = new JObject();
        foreach (var (key, snapshot) in index.Snapshots)
        {
            snapshots[key] = new JObject { ["uuid"] = snapshot.Uuid, ["timestamp"] = snapshot.Timestamp };
        }

        return new JObject { ["file_systems"] = JsonFields.ToObject(index.FileSystems), ["snapshots"] = snapshots };
    }

    public static DirectoryFsIndex FromJson(JObject json)
    {
        var index = new DirectoryFsIndex();
        foreach (var (name, uuid) in JsonFields.Strings(json, "file_systems"))
        {
            index.FileSystems[name] = uuid;
        }

        foreach (var (key, value) in JsonFields.Objects(json, "snapshots"))
        {
            index.Snapshots[key] = new DirectoryFsIndex.SnapshotRecord
            {
                Uuid = JsonFields.String(value, "uuid") ?? Guid.NewGuid().ToString(),
                Timestamp = JsonFields.Integer(value, "timestamp"),
            };
        }

        return index;
    }
}
