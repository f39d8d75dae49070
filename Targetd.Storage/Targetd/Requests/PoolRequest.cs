using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>vol_list</c>: a pool by name.</summary>
internal sealed record PoolRequest(string Pool) : IRpcRequest<PoolRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } = [new("pool", RpcKind.Text)];

    public static PoolRequest Bind(RpcArguments arguments) => new(arguments.Text("pool"));
}
