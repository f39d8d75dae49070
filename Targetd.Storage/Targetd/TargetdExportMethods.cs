using Newtonsoft.Json.Linq;
using Targetd.Core.Errors;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Targetd.Requests;

namespace Targetd.Storage.Targetd;

/// <summary>
/// targetd's export, initiator and access-group methods (targetd API 0.7 §7.3–7.5) over <see cref="TargetdExports"/>,
/// with targetd's field names, types and error codes. Each method binds its params into a request record; the
/// rules live in <see cref="TargetdExports"/>.
/// </summary>
internal sealed class TargetdExportMethods(TargetdExports exports)
{
    /// <summary>The method table entries.</summary>
    public IEnumerable<RpcMethod> Methods()
    {
        yield return new RpcMethod("export_list", [], async (_, ct) => new JArray((await exports.ExportListAsync(ct).ConfigureAwait(false)).Select(e => new JObject
        {
            ["initiator_wwn"] = e.Initiator, ["lun"] = e.Lun, ["vol_name"] = e.Volume, ["pool"] = e.Pool, ["vol_uuid"] = e.Uuid, ["vol_size"] = e.Size,
        })));
        yield return RpcRequest.Command<ExportCreateRequest>("export_create", (request, ct) =>
            exports.ExportCreateAsync(request.Pool, request.Volume, request.Initiator, (int)Math.Clamp(request.Lun, -1, int.MaxValue), ct));
        yield return RpcRequest.Command<ExportDestroyRequest>("export_destroy", (request, ct) =>
            exports.ExportDestroyAsync(request.Pool, request.Volume, request.Initiator, ct));
        yield return RpcRequest.Command<InitiatorAuthRequest>("initiator_set_auth", (request, ct) =>
            exports.InitiatorSetAuthAsync(request.Initiator, request.InUser, request.InPass, request.OutUser, request.OutPass, ct));
        yield return RpcRequest.Method<InitiatorListRequest>("initiator_list", (request, _) =>
            Task.FromResult<JToken?>(new JArray(exports.InitiatorList(request.StandaloneOnly).Select(i => new JObject { ["init_id"] = i, ["init_type"] = "iscsi" }))));

        yield return new RpcMethod("access_group_list", [], (_, _) => Task.FromResult<JToken?>(new JArray(exports.AccessGroupList().Select(g => new JObject
        {
            ["name"] = g.Name, ["init_ids"] = new JArray(g.Initiators), ["init_type"] = "iscsi",
        }))));
        yield return RpcRequest.Command<AccessGroupMemberRequest>("access_group_create", (request, ct) =>
            exports.AccessGroupCreateAsync(RequireIscsi(request).Name, request.Initiator, ct));
        yield return RpcRequest.Command<AccessGroupRequest>("access_group_destroy", (request, ct) => exports.AccessGroupDestroyAsync(request.Name, ct));
        yield return RpcRequest.Command<AccessGroupMemberRequest>("access_group_init_add", (request, ct) =>
            exports.AccessGroupAddInitiatorAsync(RequireIscsi(request).Name, request.Initiator, ct));
        yield return RpcRequest.Command<AccessGroupMemberRequest>("access_group_init_del", (request, ct) =>
            exports.AccessGroupRemoveInitiatorAsync(RequireIscsi(request).Name, request.Initiator, ct));
        yield return new RpcMethod("access_group_map_list", [], (_, _) => Task.FromResult<JToken?>(new JArray(exports.AccessGroupMapList()
            .Select(m => new JObject { ["ag_name"] = m.Group, ["h_lun_id"] = m.Lun, ["pool_name"] = m.Pool, ["vol_name"] = m.Volume }))));
        yield return RpcRequest.Command<AccessGroupMapCreateRequest>("access_group_map_create", (request, ct) =>
            exports.AccessGroupMapCreateAsync(request.Pool, request.Volume, request.Name, request.Lun, ct));
        yield return RpcRequest.Command<AccessGroupMapRequest>("access_group_map_destroy", (request, ct) =>
            exports.AccessGroupMapDestroyAsync(request.Pool, request.Volume, request.Name, ct));
    }

    private static AccessGroupMemberRequest RequireIscsi(AccessGroupMemberRequest request) =>
        request.InitiatorType == "iscsi" ? request : throw TargetdErrors.OnlyIscsi();
}
