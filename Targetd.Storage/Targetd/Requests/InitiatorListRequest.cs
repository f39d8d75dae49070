using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>initiator_list</c>: whether to list only initiators in no access group (any value, read as Python's truthiness).</summary>
internal sealed record InitiatorListRequest(bool StandaloneOnly) : IRpcRequest<InitiatorListRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } = [new("standalone_only", RpcKind.Any, Required: false)];

    public static InitiatorListRequest Bind(RpcArguments arguments) => new(arguments.Truthy("standalone_only"));
}
