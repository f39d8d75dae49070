using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>vol_create</c> and <c>vol_resize</c>: a volume of a pool and a size in bytes.</summary>
internal sealed record VolumeSizeRequest(string Pool, string Name, long Size) : IRpcRequest<VolumeSizeRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } = [new("pool", RpcKind.Text), new("name", RpcKind.Text), new("size", RpcKind.WholeNumber)];

    public static VolumeSizeRequest Bind(RpcArguments arguments) => new(arguments.Text("pool"), arguments.Text("name"), arguments.WholeNumber("size"));
}
