namespace Targetd.Storage.JsonRpc;

/// <summary>A named parameter of a JSON-RPC method.</summary>
/// <param name="Name">The key in <c>params</c>.</param>
/// <param name="Kind">The JSON type it must have.</param>
/// <param name="Required">Whether omitting it is an error (-32602).</param>
/// <param name="Nullable">Whether <c>null</c> is accepted.</param>
internal sealed record RpcParameter(string Name, RpcKind Kind, bool Required = true, bool Nullable = false);
