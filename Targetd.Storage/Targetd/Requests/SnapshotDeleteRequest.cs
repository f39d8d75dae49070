using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>fs_snapshot_delete</c>: the file system's uuid and the snapshot's uuid.</summary>
internal sealed record SnapshotDeleteRequest(string FsUuid, string SnapshotUuid) : IRpcRequest<SnapshotDeleteRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } = [new("fs_uuid", RpcKind.Text), new("ss_uuid", RpcKind.Text)];

    public static SnapshotDeleteRequest Bind(RpcArguments arguments) => new(arguments.Text("fs_uuid"), arguments.Text("ss_uuid"));
}
