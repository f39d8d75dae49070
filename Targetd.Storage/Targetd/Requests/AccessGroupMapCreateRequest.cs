using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>access_group_map_create</c>: a volume of a pool, an access group, and the host LUN (the lowest free one when absent or null).</summary>
internal sealed record AccessGroupMapCreateRequest(string Pool, string Volume, string Name, long? Lun) : IRpcRequest<AccessGroupMapCreateRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } = [new("pool_name", RpcKind.Text), new("vol_name", RpcKind.Text), new("ag_name", RpcKind.Text), new("h_lun_id", RpcKind.WholeNumber, Required: false, Nullable: true)];

    public static AccessGroupMapCreateRequest Bind(RpcArguments arguments) => new(arguments.Text("pool_name"), arguments.Text("vol_name"), arguments.Text("ag_name"), arguments.OptionalWholeNumber("h_lun_id"));
}
