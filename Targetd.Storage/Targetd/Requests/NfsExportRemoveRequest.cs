using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>nfs_export_remove</c>: the client and the exported path.</summary>
internal sealed record NfsExportRemoveRequest(string Host, string Path) : IRpcRequest<NfsExportRemoveRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } = [new("host", RpcKind.Text), new("path", RpcKind.Text)];

    public static NfsExportRemoveRequest Bind(RpcArguments arguments) => new(arguments.Text("host"), arguments.Text("path"));
}
