using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>ss_list</c>: the file system's uuid.</summary>
internal sealed record SnapshotListRequest(string FsUuid) : IRpcRequest<SnapshotListRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } = [new("fs_uuid", RpcKind.Text)];

    public static SnapshotListRequest Bind(RpcArguments arguments) => new(arguments.Text("fs_uuid"));
}
