using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>vol_copy</c>: a source volume, the new volume's name, and an optional larger size (<c>timeout</c> is accepted and ignored).</summary>
internal sealed record VolumeCopyRequest(string Pool, string Source, string Destination, long? Size) : IRpcRequest<VolumeCopyRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } =
    [
        new("pool", RpcKind.Text), new("vol_orig", RpcKind.Text), new("vol_new", RpcKind.Text),
        new("size", RpcKind.WholeNumber, Required: false, Nullable: true), new("timeout", RpcKind.Any, Required: false),
    ];

    public static VolumeCopyRequest Bind(RpcArguments arguments) =>
        new(arguments.Text("pool"), arguments.Text("vol_orig"), arguments.Text("vol_new"), arguments.OptionalWholeNumber("size"));
}
