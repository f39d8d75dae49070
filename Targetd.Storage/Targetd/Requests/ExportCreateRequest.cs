using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>export_create</c>: a volume of a pool, the initiator it is exported to, and the LUN.</summary>
internal sealed record ExportCreateRequest(string Pool, string Volume, string Initiator, long Lun) : IRpcRequest<ExportCreateRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } = [new("pool", RpcKind.Text), new("vol", RpcKind.Text), new("initiator_wwn", RpcKind.Text), new("lun", RpcKind.WholeNumber)];

    public static ExportCreateRequest Bind(RpcArguments arguments) => new(arguments.Text("pool"), arguments.Text("vol"), arguments.Text("initiator_wwn"), arguments.WholeNumber("lun"));
}
