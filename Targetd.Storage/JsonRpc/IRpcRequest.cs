namespace Targetd.Storage.JsonRpc;

/// <summary>
/// The typed parameters of one JSON-RPC method: the parameter list the processor checks the call against
/// (missing, extra or wrongly typed parameters are -32602), and how the checked arguments become the record.
/// </summary>
/// <typeparam name="TSelf">The request record.</typeparam>
internal interface IRpcRequest<TSelf>
    where TSelf : IRpcRequest<TSelf>
{
    /// <summary>The named parameters, as <see cref="RpcMethod.Parameters"/> lists them.</summary>
    static abstract IReadOnlyList<RpcParameter> Parameters { get; }

    /// <summary>The record of arguments that were checked against <see cref="Parameters"/>.</summary>
    static abstract TSelf Bind(RpcArguments arguments);
}
