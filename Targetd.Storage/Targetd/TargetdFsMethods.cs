using Newtonsoft.Json.Linq;
using Targetd.Core.Errors;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Pools.FileSystems;

namespace Targetd.Storage.Targetd;

/// <summary>
/// targetd's file-system methods (targetd API 0.7 §7.6): <c>fs_list</c>, <c>fs_create</c>, <c>fs_destroy</c>,
/// <c>fs_clone</c>, <c>ss_list</c>, <c>fs_snapshot</c> and <c>fs_snapshot_delete</c>, with targetd's parameter
/// names, fields and error codes. File systems are found by uuid across every fs pool (-104 otherwise),
/// snapshots by uuid among that file system's snapshots (-112 otherwise).
/// </summary>
public sealed class TargetdFsMethods(IReadOnlyList<IFsPool> pools)
{
    /// <summary>The method table entries.</summary>
    public IEnumerable<RpcMethod> Methods()
    {
        // "fs_list() → [{name, uuid, total_space, free_space, pool, full_path}]"
        yield return new RpcMethod("fs_list", [], async (_, ct) => new JArray((await ListAsync(ct).ConfigureAwait(false)).Select(f => new JObject
        {
            ["name"] = f.Name, ["uuid"] = f.Uuid, ["total_space"] = f.TotalSpace, ["free_space"] = f.FreeSpace, ["pool"] = f.Pool, ["full_path"] = f.FullPath,
        })));

        // "fs_create(pool_name, name, size_bytes) → null"; unknown pool → -110.
        yield return new RpcMethod("fs_create", [new("pool_name", RpcKind.Text), new("name", RpcKind.Text), new("size_bytes", RpcKind.WholeNumber)], async (args, ct) =>
        {
            await Pool(args.Text("pool_name")).CreateAsync(args.Text("name"), args.WholeNumber("size_bytes"), ct).ConfigureAwait(false);
            return null;
        });

        // "fs_destroy(uuid) → null"; unknown uuid → -104.
        yield return new RpcMethod("fs_destroy", [new("uuid", RpcKind.Text)], async (args, ct) =>
        {
            var (pool, fs) = await FindAsync(args.Text("uuid"), ct).ConfigureAwait(false);
            await pool.DestroyAsync(fs.Name, ct).ConfigureAwait(false);
            return null;
        });

        // "fs_clone(fs_uuid, dest_fs_name, snapshot_id) → null: snapshot_id is required (send null/"" for 'clone live fs')".
        yield return new RpcMethod(
            "fs_clone",
            [new("fs_uuid", RpcKind.Text), new("dest_fs_name", RpcKind.Text), new("snapshot_id", RpcKind.Text, Nullable: true)],
            async (args, ct) =>
            {
                var (pool, fs) = await FindAsync(args.Text("fs_uuid"), ct).ConfigureAwait(false);
                string? snapshot = args.OptionalText("snapshot_id") is { Length: > 0 } id
                    ? (await FindSnapshotAsync(pool, fs, id, ct).ConfigureAwait(false)).Name
                    : null;
                await pool.CloneAsync(fs.Name, snapshot, args.Text("dest_fs_name"), ct).ConfigureAwait(false);
                return null;
            });

        // "ss_list(fs_uuid) → [{name, uuid, timestamp}] (timestamp = epoch seconds, int)".
        yield return new RpcMethod("ss_list", [new("fs_uuid", RpcKind.Text)], async (args, ct) =>
        {
            var (pool, fs) = await FindAsync(args.Text("fs_uuid"), ct).ConfigureAwait(false);
            return new JArray((await pool.ListSnapshotsAsync(fs.Name, ct).ConfigureAwait(false))
                .Select(s => new JObject { ["name"] = s.Name, ["uuid"] = s.Uuid, ["timestamp"] = s.Timestamp }));
        });

        // "fs_snapshot(fs_uuid, dest_ss_name) → null".
        yield return new RpcMethod("fs_snapshot", [new("fs_uuid", RpcKind.Text), new("dest_ss_name", RpcKind.Text)], async (args, ct) =>
        {
            var (pool, fs) = await FindAsync(args.Text("fs_uuid"), ct).ConfigureAwait(false);
            await pool.SnapshotAsync(fs.Name, args.Text("dest_ss_name"), ct).ConfigureAwait(false);
            return null;
        });

        // "fs_snapshot_delete(fs_uuid, ss_uuid) → null: -104 / -112".
        yield return new RpcMethod("fs_snapshot_delete", [new("fs_uuid", RpcKind.Text), new("ss_uuid", RpcKind.Text)], async (args, ct) =>
        {
            var (pool, fs) = await FindAsync(args.Text("fs_uuid"), ct).ConfigureAwait(false);
            var snapshot = await FindSnapshotAsync(pool, fs, args.Text("ss_uuid"), ct).ConfigureAwait(false);
            await pool.DeleteSnapshotAsync(fs.Name, snapshot.Name, ct).ConfigureAwait(false);
            return null;
        });
    }

    /// <summary>The pools' entries of <c>pool_list</c>: <c>{name, size, free_size, type: "fs"}</c>, without <c>uuid</c>.</summary>
    public async Task<IReadOnlyList<JObject>> PoolListAsync(CancellationToken cancellationToken)
    {
        var list = new List<JObject>();
        foreach (var pool in pools)
        {
            var info = await pool.GetInfoAsync(cancellationToken).ConfigureAwait(false);
            list.Add(new JObject { ["name"] = info.Name, ["size"] = info.Size, ["free_size"] = info.FreeSize, ["type"] = "fs" });
        }

        return list;
    }

    /// <summary>The fs pool of that name (-110 otherwise).</summary>
    public IFsPool Pool(string name) =>
        pools.FirstOrDefault(p => p.Name == name) ?? throw TargetdErrors.InvalidPool(name);

    private async Task<List<FileSystemEntry>> ListAsync(CancellationToken cancellationToken)
    {
        var all = new List<FileSystemEntry>();
        foreach (var pool in pools)
        {
            all.AddRange(await pool.ListAsync(cancellationToken).ConfigureAwait(false));
        }

        return all;
    }

    private async Task<(IFsPool Pool, FileSystemEntry FileSystem)> FindAsync(string uuid, CancellationToken cancellationToken)
    {
        foreach (var pool in pools)
        {
            if ((await pool.ListAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(f => f.Uuid == uuid) is { } found)
            {
                return (pool, found);
            }
        }

        throw TargetdErrors.FileSystemNotFound();
    }

    private static async Task<SnapshotEntry> FindSnapshotAsync(IFsPool pool, FileSystemEntry fs, string uuid, CancellationToken cancellationToken) =>
        (await pool.ListSnapshotsAsync(fs.Name, cancellationToken).ConfigureAwait(false)).FirstOrDefault(s => s.Uuid == uuid)
        ?? throw TargetdErrors.SnapshotNotFound();
}
