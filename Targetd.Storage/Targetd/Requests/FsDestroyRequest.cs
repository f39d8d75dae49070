using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>fs_destroy</c>: the file system's uuid.</summary>
internal sealed record FsDestroyRequest(string Uuid) : IRpcRequest<FsDestroyRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } = [new("uuid", RpcKind.Text)];

    public static FsDestroyRequest Bind(RpcArguments arguments) => new(arguments.Text("uuid"));
}
