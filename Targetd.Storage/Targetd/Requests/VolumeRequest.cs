using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>vol_destroy</c>: a volume of a pool.</summary>
internal sealed record VolumeRequest(string Pool, string Name) : IRpcRequest<VolumeRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } = [new("pool", RpcKind.Text), new("name", RpcKind.Text)];

    public static VolumeRequest Bind(RpcArguments arguments) => new(arguments.Text("pool"), arguments.Text("name"));
}
