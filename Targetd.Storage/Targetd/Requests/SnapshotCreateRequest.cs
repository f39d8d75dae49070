using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>fs_snapshot</c>: the file system's uuid and the new snapshot's name.</summary>
internal sealed record SnapshotCreateRequest(string FsUuid, string Name) : IRpcRequest<SnapshotCreateRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } = [new("fs_uuid", RpcKind.Text), new("dest_ss_name", RpcKind.Text)];

    public static SnapshotCreateRequest Bind(RpcArguments arguments) => new(arguments.Text("fs_uuid"), arguments.Text("dest_ss_name"));
}
