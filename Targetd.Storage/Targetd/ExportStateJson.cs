using System.Collections.Immutable;
using Newtonsoft.Json.Linq;
using Targetd.Storage.State;
using static Targetd.Storage.Targetd.ExportState;

namespace Targetd.Storage.Targetd;

/// <summary>targetd's export state file, written and read field by field (no reflection: it survives trimming).</summary>
internal static class ExportStateJson
{
    public static JObject ToJson(ExportState state)
    {
        var initiators = new JObject();
        foreach (var (name, initiator) in state.Initiators)
        {
            var json = new JObject();
            if (initiator.Chap is { } chap)
            {
                var credentials = new JObject { ["in_user"] = chap.InUser, ["in_pass"] = chap.InPass };
                if (chap.OutUser is not null)
                {
                    credentials["out_user"] = chap.OutUser;
                }

                if (chap.OutPass is not null)
                {
                    credentials["out_pass"] = chap.OutPass;
                }

                json["chap"] = credentials;
            }

            if (initiator.Group is not null)
            {
                json["group"] = initiator.Group;
            }

            json["mappings"] = Mappings(initiator.Mappings);
            initiators[name] = json;
        }

        var groups = new JObject();
        foreach (var (name, group) in state.Groups)
        {
            groups[name] = new JObject { ["mappings"] = Mappings(group.Mappings) };
        }

        return new JObject { ["initiators"] = initiators, ["access_groups"] = groups };
    }

    public static ExportState FromJson(JObject json)
    {
        var initiators = ImmutableSortedDictionary.CreateBuilder<string, InitiatorRecord>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in JsonFields.Objects(json, "initiators"))
        {
            var chap = JsonFields.OptionalObject(value, "chap") is { } credentials
                ? new ChapRecord(
                    JsonFields.RequiredString(credentials, "in_user"),
                    JsonFields.RequiredString(credentials, "in_pass"),
                    JsonFields.String(credentials, "out_user"),
                    JsonFields.String(credentials, "out_pass"))
                : null;
            initiators[name] = new InitiatorRecord { Group = JsonFields.String(value, "group"), Chap = chap, Mappings = [.. Mappings(value)] };
        }

        var groups = ImmutableSortedDictionary.CreateBuilder<string, GroupRecord>(StringComparer.Ordinal);
        foreach (var (name, value) in JsonFields.Objects(json, "access_groups"))
        {
            groups[name] = new GroupRecord { Mappings = [.. Mappings(value)] };
        }

        return new ExportState { Initiators = initiators.ToImmutable(), Groups = groups.ToImmutable() };
    }

    private static JArray Mappings(ImmutableList<MappingRecord> mappings) =>
        [.. mappings.Select(m => new JObject { ["lun"] = m.Lun, ["pool"] = m.Pool, ["volume"] = m.Volume })];

    private static IEnumerable<MappingRecord> Mappings(JObject owner) =>
        JsonFields.Items(owner, "mappings").Select(m => new MappingRecord(
            JsonFields.Int32(m, "lun"), JsonFields.RequiredString(m, "pool"), JsonFields.RequiredString(m, "volume")));
}
