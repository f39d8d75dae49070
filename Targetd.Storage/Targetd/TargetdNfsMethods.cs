using Newtonsoft.Json.Linq;
using Targetd.Core.Errors;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Nfs;
using Targetd.Storage.Targetd.Requests;

namespace Targetd.Storage.Targetd;

/// <summary>
/// targetd's NFS methods (targetd API 0.7 §7.7): <c>nfs_export_auth_list</c>, <c>nfs_export_list</c>,
/// <c>nfs_export_add</c> and <c>nfs_export_remove</c>, with targetd's parameters, fields and error codes.
/// </summary>
internal sealed class TargetdNfsMethods(NfsExportService exports)
{
    /// <summary>The method table entries.</summary>
    public IEnumerable<RpcMethod> Methods()
    {
        yield return new RpcMethod("nfs_export_auth_list", [], (_, _) => Task.FromResult<JToken?>(new JArray(NfsExportService.AuthList())));

        // "nfs_export_list() → [{host, path, options:[str]}]".
        yield return new RpcMethod("nfs_export_list", [], async (_, ct) => new JArray((await exports.ListAsync(ct).ConfigureAwait(false))
            .Select(e => new JObject { ["host"] = e.Host, ["path"] = e.Path, ["options"] = new JArray(e.Options) })));

        // "nfs_export_add(host, path, options=None, chown=None, export_path=None) → {"host": host, "path": path}".
        yield return RpcRequest.Method<NfsExportAddRequest>("nfs_export_add", async (request, ct) =>
        {
            // "export_path non-null → -401."
            if (request.ExportPathGiven)
            {
                throw TargetdErrors.NfsExportPathNotSupported();
            }

            await exports.AddAsync(request.Host, request.Path, request.Options, request.Chown, ct).ConfigureAwait(false);
            return new JObject { ["host"] = request.Host, ["path"] = request.Path };
        });

        // "nfs_export_remove(host, path) → null; none → -400".
        yield return RpcRequest.Command<NfsExportRemoveRequest>("nfs_export_remove", (request, ct) => exports.RemoveAsync(request.Host, request.Path, ct));
    }
}
