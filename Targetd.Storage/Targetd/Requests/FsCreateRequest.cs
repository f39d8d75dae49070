using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>fs_create</c>: a new file system's pool, name and size in bytes.</summary>
internal sealed record FsCreateRequest(string Pool, string Name, long SizeBytes) : IRpcRequest<FsCreateRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } =
        [new("pool_name", RpcKind.Text), new("name", RpcKind.Text), new("size_bytes", RpcKind.WholeNumber)];

    public static FsCreateRequest Bind(RpcArguments arguments) =>
        new(arguments.Text("pool_name"), arguments.Text("name"), arguments.WholeNumber("size_bytes"));
}
