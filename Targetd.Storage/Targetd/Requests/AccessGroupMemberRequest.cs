using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>access_group_create</c>, <c>access_group_init_add</c> and <c>access_group_init_del</c>: a group, an initiator and its type.</summary>
internal sealed record AccessGroupMemberRequest(string Name, string Initiator, string InitiatorType) : IRpcRequest<AccessGroupMemberRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } = [new("ag_name", RpcKind.Text), new("init_id", RpcKind.Text), new("init_type", RpcKind.Text)];

    public static AccessGroupMemberRequest Bind(RpcArguments arguments) => new(arguments.Text("ag_name"), arguments.Text("init_id"), arguments.Text("init_type"));
}
