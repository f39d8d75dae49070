using Newtonsoft.Json.Linq;
using Targetd.Core.Errors;
using Targetd.Core.Names;
using Targetd.Storage.JsonRpc;
using static Targetd.Storage.Targetd.ExportState;

namespace Targetd.Storage.Targetd;

/// <summary>
/// targetd's export, initiator and access-group methods (targetd API 0.7 §7.3–7.5) over <see cref="TargetdExports"/>,
/// with targetd's field names, types and error codes.
/// </summary>
public sealed class TargetdExportMethods(TargetdExports exports)
{
    /// <summary>The method table entries.</summary>
    public IEnumerable<RpcMethod> Methods()
    {
        yield return new RpcMethod("export_list", [], async (_, ct) => new JArray((await exports.ExportListAsync(ct).ConfigureAwait(false)).Select(e => new JObject
        {
            ["initiator_wwn"] = e.Initiator, ["lun"] = e.Lun, ["vol_name"] = e.Volume, ["pool"] = e.Pool, ["vol_uuid"] = e.Uuid, ["vol_size"] = e.Size,
        })));
        yield return new RpcMethod("export_create", [new("pool", RpcKind.Text), new("vol", RpcKind.Text), new("initiator_wwn", RpcKind.Text), new("lun", RpcKind.WholeNumber)], async (args, ct) =>
        {
            await exports.ExportCreateAsync(args.Text("pool"), args.Text("vol"), args.Text("initiator_wwn"), (int)Math.Clamp(args.WholeNumber("lun"), -1, int.MaxValue), ct).ConfigureAwait(false);
            return null;
        });
        yield return new RpcMethod("export_destroy", [new("pool", RpcKind.Text), new("vol", RpcKind.Text), new("initiator_wwn", RpcKind.Text)], async (args, ct) =>
        {
            await exports.ExportDestroyAsync(args.Text("pool"), args.Text("vol"), args.Text("initiator_wwn"), ct).ConfigureAwait(false);
            return null;
        });
        yield return new RpcMethod(
            "initiator_set_auth",
            [new("initiator_wwn", RpcKind.Text), new("in_user", RpcKind.Text, Nullable: true), new("in_pass", RpcKind.Text, Nullable: true), new("out_user", RpcKind.Text, Nullable: true), new("out_pass", RpcKind.Text, Nullable: true)],
            async (args, ct) =>
            {
                await exports.InitiatorSetAuthAsync(args.Text("initiator_wwn"), args.OptionalText("in_user"), args.OptionalText("in_pass"), args.OptionalText("out_user"), args.OptionalText("out_pass"), ct).ConfigureAwait(false);
                return null;
            });
        yield return new RpcMethod("initiator_list", [new("standalone_only", RpcKind.Any, Required: false)], (args, _) =>
            Task.FromResult<JToken?>(new JArray(exports.InitiatorList(args.Truthy("standalone_only")).Select(i => new JObject { ["init_id"] = i, ["init_type"] = "iscsi" }))));

        yield return new RpcMethod("access_group_list", [], (_, _) => Task.FromResult<JToken?>(new JArray(exports.State.Groups.Keys.Select(name => new JObject
        {
            ["name"] = name,
            ["init_ids"] = new JArray(exports.State.Initiators.Where(i => i.Value.Group == name).Select(i => i.Key)),
            ["init_type"] = "iscsi",
        }))));
        yield return new RpcMethod("access_group_create", [new("ag_name", RpcKind.Text), new("init_id", RpcKind.Text), new("init_type", RpcKind.Text)], async (args, ct) =>
        {
            RequireIscsi(args);
            string name = ResourceName.EnsureValid(args.Text("ag_name"));
            string initiator = args.Text("init_id");
            TargetdExports.RequireInitiatorName(initiator);
            await exports.MutateAsync(state =>
            {
                if (state.Groups.ContainsKey(name))
                {
                    throw TargetdErrors.AccessGroupNameInUse();
                }

                if (state.Initiators.ContainsKey(initiator))
                {
                    throw TargetdErrors.InitiatorInUse();
                }

                state.Groups[name] = new GroupRecord();
                TargetdExports.Record(state, initiator).Group = name;
            }, ct).ConfigureAwait(false);
            return null;
        });
        yield return new RpcMethod("access_group_destroy", [new("ag_name", RpcKind.Text)], async (args, ct) =>
        {
            string name = args.Text("ag_name");
            await exports.MutateAsync(state =>
            {
                foreach (var member in state.Initiators.Where(i => i.Value.Group == name).Select(i => i.Key).ToList())
                {
                    state.Initiators.Remove(member);
                }

                state.Groups.Remove(name);
            }, ct).ConfigureAwait(false);
            return null;
        });
        yield return new RpcMethod("access_group_init_add", [new("ag_name", RpcKind.Text), new("init_id", RpcKind.Text), new("init_type", RpcKind.Text)], async (args, ct) =>
        {
            RequireIscsi(args);
            string name = ResourceName.EnsureValid(args.Text("ag_name"));
            string initiator = args.Text("init_id");
            TargetdExports.RequireInitiatorName(initiator);
            await exports.MutateAsync(state =>
            {
                if (state.Initiators.TryGetValue(initiator, out var record))
                {
                    if (record.Group == name)
                    {
                        return;
                    }

                    throw record.Group is null ? TargetdErrors.InitiatorInUse() : TargetdErrors.InitiatorInOtherGroup();
                }

                if (!state.Groups.ContainsKey(name))
                {
                    state.Groups[name] = new GroupRecord();
                }

                TargetdExports.Record(state, initiator).Group = name;
            }, ct).ConfigureAwait(false);
            return null;
        });
        yield return new RpcMethod("access_group_init_del", [new("ag_name", RpcKind.Text), new("init_id", RpcKind.Text), new("init_type", RpcKind.Text)], async (args, ct) =>
        {
            RequireIscsi(args);
            string name = args.Text("ag_name");
            string initiator = args.Text("init_id");
            await exports.MutateAsync(state =>
            {
                if (!state.Initiators.TryGetValue(initiator, out var record) || record.Group != name)
                {
                    return;
                }

                state.Initiators.Remove(initiator);
                if (state.Initiators.Values.All(i => i.Group != name))
                {
                    state.Groups.Remove(name);
                }
            }, ct).ConfigureAwait(false);
            return null;
        });
        yield return new RpcMethod("access_group_map_list", [], (_, _) => Task.FromResult<JToken?>(new JArray(exports.State.Groups
            .SelectMany(g => g.Value.Mappings.OrderBy(m => m.Lun).Select(m => new JObject { ["ag_name"] = g.Key, ["h_lun_id"] = m.Lun, ["pool_name"] = m.Pool, ["vol_name"] = m.Volume })))));
        yield return new RpcMethod(
            "access_group_map_create",
            [new("pool_name", RpcKind.Text), new("vol_name", RpcKind.Text), new("ag_name", RpcKind.Text), new("h_lun_id", RpcKind.WholeNumber, Required: false, Nullable: true)],
            async (args, ct) =>
            {
                string pool = args.Text("pool_name");
                string volume = args.Text("vol_name");
                string name = args.Text("ag_name");
                long? requested = args.OptionalWholeNumber("h_lun_id");
                await exports.RequireVolumeAsync(pool, volume, ct).ConfigureAwait(false);
                await exports.MutateAsync(state => MapToGroup(state, pool, volume, name, requested), ct).ConfigureAwait(false);
                return null;
            });
        yield return new RpcMethod("access_group_map_destroy", [new("pool_name", RpcKind.Text), new("vol_name", RpcKind.Text), new("ag_name", RpcKind.Text)], async (args, ct) =>
        {
            string pool = args.Text("pool_name");
            string volume = args.Text("vol_name");
            string name = args.Text("ag_name");
            await exports.MutateAsync(state =>
            {
                if (state.Groups.TryGetValue(name, out var group))
                {
                    group.Mappings.RemoveAll(m => m.Pool == pool && m.Volume == volume);
                }
            }, ct).ConfigureAwait(false);
            return null;
        });
    }

    private static void MapToGroup(ExportState state, string pool, string volume, string name, long? requested)
    {
        if (!state.Groups.TryGetValue(name, out var group) || state.Initiators.Values.All(i => i.Group != name))
        {
            throw TargetdErrors.AccessGroupNotFound();
        }

        if (group.Mappings.Any(m => m.Pool == pool && m.Volume == volume))
        {
            return;
        }

        // LUNs already used by the group or by any member's own mappings.
        var used = group.Mappings.Select(m => m.Lun)
            .Concat(state.Initiators.Values.Where(i => i.Group == name).SelectMany(i => i.Mappings).Select(m => m.Lun))
            .ToHashSet();
        int lun;
        if (requested is { } wanted)
        {
            if (wanted is < 0 or > TargetdExports.MaxHostLunId)
            {
                throw new TargetdException(TargetdErrorCode.InvalidArgument, $"h_lun_id {wanted} is out of range 0 ~ {TargetdExports.MaxHostLunId}");
            }

            if (used.Contains((int)wanted))
            {
                throw new TargetdException(TargetdErrorCode.Invalid, $"Host LUN ID {wanted} is already in use in access group {name}");
            }

            lun = (int)wanted;
        }
        else
        {
            lun = Enumerable.Range(0, TargetdExports.MaxHostLunId + 1).FirstOrDefault(l => !used.Contains(l), -1);
            if (lun < 0)
            {
                throw TargetdErrors.NoFreeHostLunId(TargetdExports.MaxHostLunId);
            }
        }

        group.Mappings.Add(new MappingRecord(lun, pool, volume));
    }

    private static void RequireIscsi(RpcArguments args)
    {
        if (args.Text("init_type") != "iscsi")
        {
            throw TargetdErrors.OnlyIscsi();
        }
    }
}
