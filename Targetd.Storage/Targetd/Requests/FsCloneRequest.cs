using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>fs_clone</c>: the source's uuid, the clone's name, and the snapshot's uuid (required; null or empty: the live file system).</summary>
internal sealed record FsCloneRequest(string FsUuid, string Destination, string? SnapshotUuid) : IRpcRequest<FsCloneRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } =
        [new("fs_uuid", RpcKind.Text), new("dest_fs_name", RpcKind.Text), new("snapshot_id", RpcKind.Text, Nullable: true)];

    public static FsCloneRequest Bind(RpcArguments arguments) =>
        new(arguments.Text("fs_uuid"), arguments.Text("dest_fs_name"), arguments.OptionalText("snapshot_id") is { Length: > 0 } id ? id : null);
}
