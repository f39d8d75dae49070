using Newtonsoft.Json.Linq;
using Targetd.Core.Errors;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Nfs;

namespace Targetd.Storage.Targetd;

/// <summary>
/// targetd's NFS methods (targetd API 0.7 §7.7): <c>nfs_export_auth_list</c>, <c>nfs_export_list</c>,
/// <c>nfs_export_add</c> and <c>nfs_export_remove</c>, with targetd's parameters, fields and error codes.
/// </summary>
public sealed class TargetdNfsMethods(NfsExportService exports)
{
    /// <summary>The method table entries.</summary>
    public IEnumerable<RpcMethod> Methods()
    {
        yield return new RpcMethod("nfs_export_auth_list", [], (_, _) => Task.FromResult<JToken?>(new JArray(NfsExportService.AuthList())));

        // "nfs_export_list() → [{host, path, options:[str]}]".
        yield return new RpcMethod("nfs_export_list", [], async (_, ct) => new JArray((await exports.ListAsync(ct).ConfigureAwait(false))
            .Select(e => new JObject { ["host"] = e.Host, ["path"] = e.Path, ["options"] = new JArray(e.Options) })));

        // "nfs_export_add(host, path, options=None, chown=None, export_path=None) → {"host": host, "path": path}".
        yield return new RpcMethod(
            "nfs_export_add",
            [
                new("host", RpcKind.Text), new("path", RpcKind.Text), new("options", RpcKind.Any, Required: false),
                new("chown", RpcKind.Text, Required: false, Nullable: true), new("export_path", RpcKind.Any, Required: false),
            ],
            async (args, ct) =>
            {
                // "export_path non-null → -401."
                if (args.Raw("export_path") is { Type: not JTokenType.Null })
                {
                    throw TargetdErrors.NfsExportPathNotSupported();
                }

                string host = args.Text("host");
                string path = args.Text("path");
                await exports.AddAsync(host, path, Options(args.Raw("options")), args.OptionalText("chown"), ct).ConfigureAwait(false);
                return new JObject { ["host"] = host, ["path"] = path };
            });

        // "nfs_export_remove(host, path) → null; none → -400".
        yield return new RpcMethod("nfs_export_remove", [new("host", RpcKind.Text), new("path", RpcKind.Text)], async (args, ct) =>
        {
            await exports.RemoveAsync(args.Text("host"), args.Text("path"), ct).ConfigureAwait(false);
            return null;
        });
    }

    /// <summary>"options: list of strings, or a single string (wrapped into a list), or null/empty."</summary>
    private static List<string> Options(JToken? options) => options switch
    {
        null or { Type: JTokenType.Null } => [],
        JValue { Type: JTokenType.String } single => ((string?)single) is { Length: > 0 } text ? [text] : [],
        JArray list when list.All(o => o.Type == JTokenType.String) => [.. list.Select(o => (string)o!)],
        _ => throw new TargetdException(TargetdErrorCode.InvalidArgument, "options must be a string or a list of strings"),
    };
}
