using Newtonsoft.Json.Linq;
using Targetd.Core.Errors;
using Targetd.Storage.JsonRpc;

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

        yield return new RpcMethod("access_group_list", [], (_, _) => Task.FromResult<JToken?>(new JArray(exports.AccessGroupList().Select(g => new JObject
        {
            ["name"] = g.Name, ["init_ids"] = new JArray(g.Initiators), ["init_type"] = "iscsi",
        }))));
        yield return new RpcMethod("access_group_create", [new("ag_name", RpcKind.Text), new("init_id", RpcKind.Text), new("init_type", RpcKind.Text)], async (args, ct) =>
        {
            RequireIscsi(args);
            await exports.AccessGroupCreateAsync(args.Text("ag_name"), args.Text("init_id"), ct).ConfigureAwait(false);
            return null;
        });
        yield return new RpcMethod("access_group_destroy", [new("ag_name", RpcKind.Text)], async (args, ct) =>
        {
            await exports.AccessGroupDestroyAsync(args.Text("ag_name"), ct).ConfigureAwait(false);
            return null;
        });
        yield return new RpcMethod("access_group_init_add", [new("ag_name", RpcKind.Text), new("init_id", RpcKind.Text), new("init_type", RpcKind.Text)], async (args, ct) =>
        {
            RequireIscsi(args);
            await exports.AccessGroupAddInitiatorAsync(args.Text("ag_name"), args.Text("init_id"), ct).ConfigureAwait(false);
            return null;
        });
        yield return new RpcMethod("access_group_init_del", [new("ag_name", RpcKind.Text), new("init_id", RpcKind.Text), new("init_type", RpcKind.Text)], async (args, ct) =>
        {
            RequireIscsi(args);
            await exports.AccessGroupRemoveInitiatorAsync(args.Text("ag_name"), args.Text("init_id"), ct).ConfigureAwait(false);
            return null;
        });
        yield return new RpcMethod("access_group_map_list", [], (_, _) => Task.FromResult<JToken?>(new JArray(exports.AccessGroupMapList()
            .Select(m => new JObject { ["ag_name"] = m.Group, ["h_lun_id"] = m.Lun, ["pool_name"] = m.Pool, ["vol_name"] = m.Volume }))));
        yield return new RpcMethod(
            "access_group_map_create",
            [new("pool_name", RpcKind.Text), new("vol_name", RpcKind.Text), new("ag_name", RpcKind.Text), new("h_lun_id", RpcKind.WholeNumber, Required: false, Nullable: true)],
            async (args, ct) =>
            {
                await exports.AccessGroupMapCreateAsync(args.Text("pool_name"), args.Text("vol_name"), args.Text("ag_name"), args.OptionalWholeNumber("h_lun_id"), ct).ConfigureAwait(false);
                return null;
            });
        yield return new RpcMethod("access_group_map_destroy", [new("pool_name", RpcKind.Text), new("vol_name", RpcKind.Text), new("ag_name", RpcKind.Text)], async (args, ct) =>
        {
            await exports.AccessGroupMapDestroyAsync(args.Text("pool_name"), args.Text("vol_name"), args.Text("ag_name"), ct).ConfigureAwait(false);
            return null;
        });
    }

    private static void RequireIscsi(RpcArguments args)
    {
        if (args.Text("init_type") != "iscsi")
        {
            throw TargetdErrors.OnlyIscsi();
        }
    }
}
