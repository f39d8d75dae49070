using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>export_destroy</c>: a volume of a pool and the initiator it is exported to.</summary>
internal sealed record ExportDestroyRequest(string Pool, string Volume, string Initiator) : IRpcRequest<ExportDestroyRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } = [new("pool", RpcKind.Text), new("vol", RpcKind.Text), new("initiator_wwn", RpcKind.Text)];

    public static ExportDestroyRequest Bind(RpcArguments arguments) => new(arguments.Text("pool"), arguments.Text("vol"), arguments.Text("initiator_wwn"));
}
