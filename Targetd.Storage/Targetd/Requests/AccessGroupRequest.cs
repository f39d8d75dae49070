using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>access_group_destroy</c>: an access group by name.</summary>
internal sealed record AccessGroupRequest(string Name) : IRpcRequest<AccessGroupRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } = [new("ag_name", RpcKind.Text)];

    public static AccessGroupRequest Bind(RpcArguments arguments) => new(arguments.Text("ag_name"));
}
