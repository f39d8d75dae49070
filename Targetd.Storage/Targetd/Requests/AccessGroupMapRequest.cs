using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>access_group_map_destroy</c>: a volume of a pool and an access group.</summary>
internal sealed record AccessGroupMapRequest(string Pool, string Volume, string Name) : IRpcRequest<AccessGroupMapRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } = [new("pool_name", RpcKind.Text), new("vol_name", RpcKind.Text), new("ag_name", RpcKind.Text)];

    public static AccessGroupMapRequest Bind(RpcArguments arguments) => new(arguments.Text("pool_name"), arguments.Text("vol_name"), arguments.Text("ag_name"));
}
