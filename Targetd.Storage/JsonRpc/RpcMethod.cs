using Newtonsoft.Json.Linq;

namespace Targetd.Storage.JsonRpc;

/// <summary>A JSON-RPC method: its name, its named parameters and what it does.</summary>
/// <param name="Name">The method name.</param>
/// <param name="Parameters">Its parameters; any other key is an error (-32602).</param>
/// <param name="Invoke">The implementation; returns the result, null for void methods.</param>
internal sealed record RpcMethod(string Name, IReadOnlyList<RpcParameter> Parameters, Func<RpcArguments, CancellationToken, Task<JToken?>> Invoke);
