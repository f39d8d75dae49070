using Newtonsoft.Json.Linq;

namespace Targetd.Storage.JsonRpc;

/// <summary>What was read of one JSON-RPC call while it was answered: its method, parameters and error, if any.</summary>
internal sealed class RpcCallRecord
{
    public string? Method { get; set; }

    public JToken? Parameters { get; set; }

    public (string Code, string Message)? Error { get; set; }
}
