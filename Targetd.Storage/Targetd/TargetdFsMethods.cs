using Newtonsoft.Json.Linq;
using Targetd.Core.Errors;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Pools.FileSystems;
using Targetd.Storage.Targetd.Requests;

namespace Targetd.Storage.Targetd;

/// <summary>
/// targetd's file-system methods (targetd API 0.7 §7.6): <c>fs_list</c>, <c>fs_create</c>, <c>fs_destroy</c>,
/// <c>fs_clone</c>, <c>ss_list</c>, <c>fs_snapshot</c> and <c>fs_snapshot_delete</c>, with targetd's parameter
/// names, fields and error codes. File systems are found by uuid across every fs pool (-104 otherwise),
/// snapshots by uuid among that file system's snapshots (-112 otherwise).
/// </summary>
internal sealed class TargetdFsMethods(IReadOnlyList<IFsPool> pools)
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
        yield return RpcRequest.Command<FsCreateRequest>("fs_create", (request, ct) => Pool(request.Pool).CreateAsync(request.Name, request.SizeBytes, ct));

        // "fs_destroy(uuid) → null"; unknown uuid → -104.
        yield return RpcRequest.Command<FsDestroyRequest>("fs_destroy", async (request, ct) =>
        {
            var (pool, fs) = await FindAsync(request.Uuid, ct).ConfigureAwait(false);
            await pool.DestroyAsync(fs.Name, ct).ConfigureAwait(false);
        });

        // "fs_clone(fs_uuid, dest_fs_name, snapshot_id) → null: snapshot_id is required (send null/"" for 'clone live fs')".
        yield return RpcRequest.Command<FsCloneRequest>("fs_clone", async (request, ct) =>
        {
            var (pool, fs) = await FindAsync(request.FsUuid, ct).ConfigureAwait(false);
            string? snapshot = request.SnapshotUuid is { } id ? (await FindSnapshotAsync(pool, fs, id, ct).ConfigureAwait(false)).Name : null;
            await pool.CloneAsync(fs.Name, snapshot, request.Destination, ct).ConfigureAwait(false);
        });

        // "ss_list(fs_uuid) → [{name, uuid, timestamp}] (timestamp = epoch seconds, int)".
        yield return RpcRequest.Method<SnapshotListRequest>("ss_list", async (request, ct) =>
        {
            var (pool, fs) = await FindAsync(request.FsUuid, ct).ConfigureAwait(false);
            return new JArray((await pool.ListSnapshotsAsync(fs.Name, ct).ConfigureAwait(false))
                .Select(s => new JObject { ["name"] = s.Name, ["uuid"] = s.Uuid, ["timestamp"] = s.Timestamp }));
        });

        // "fs_snapshot(fs_uuid, dest_ss_name) → null".
        yield return RpcRequest.Command<SnapshotCreateRequest>("fs_snapshot", async (request, ct) =>
        {
            var (pool, fs) = await FindAsync(request.FsUuid, ct).ConfigureAwait(false);
            await pool.SnapshotAsync(fs.Name, request.Name, ct).ConfigureAwait(false);
        });

        // "fs_snapshot_delete(fs_uuid, ss_uuid) → null: -104 / -112".
        yield return RpcRequest.Command<SnapshotDeleteRequest>("fs_snapshot_delete", async (request, ct) =>
        {
            var (pool, fs) = await FindAsync(request.FsUuid, ct).ConfigureAwait(false);
            var snapshot = await FindSnapshotAsync(pool, fs, request.SnapshotUuid, ct).ConfigureAwait(false);
            await pool.DeleteSnapshotAsync(fs.Name, snapshot.Name, ct).ConfigureAwait(false);
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
