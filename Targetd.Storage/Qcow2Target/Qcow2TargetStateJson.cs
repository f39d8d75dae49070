using Newtonsoft.Json.Linq;
using Targetd.Storage.State;
using static Targetd.Storage.Qcow2Target.Qcow2TargetState;

namespace Targetd.Storage.Qcow2Target;

/// <summary>qcow2target's state file, written and read field by field (no reflection: it survives trimming).</summary>
internal static class Qcow2TargetStateJson
{
    public static JObject ToJson(Qcow2TargetState state) =>
        new()
        {
            ["targets"] = new JArray(state.Targets.Select(t => new JObject
            {
                ["name"] = t.Name,
                ["id"] = t.Id,
                ["luns"] = new JArray(t.Luns.Select(l => new JObject { ["lun"] = l.Lun, ["path"] = l.Path })),
            })),
            ["serials"] = JsonFields.ToObject(state.Serials),
        };

    public static Qcow2TargetState FromJson(JObject json)
    {
        var state = new Qcow2TargetState();
        foreach (var target in JsonFields.Items(json, "targets"))
        {
            var record = new TargetRecord { Name = JsonFields.String(target, "name") ?? string.Empty, Id = JsonFields.Int32(target, "id") };
            record.Luns.AddRange(JsonFields.Items(target, "luns").Select(l => new LunRecord
            {
                Lun = JsonFields.Int32(l, "lun"),
                Path = JsonFields.String(l, "path") ?? string.Empty,
            }));
            state.Targets.Add(record);
        }

        foreach (var (path, serial) in JsonFields.Strings(json, "serials"))
        {
            state.Serials[path] = serial;
        }

        return state;
    }
}
