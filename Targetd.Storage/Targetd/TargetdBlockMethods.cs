using Newtonsoft.Json.Linq;
using Targetd.Core.Errors;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Pools;
using Targetd.Storage.Targetd.Requests;

namespace Targetd.Storage.Targetd;

/// <summary>
/// The targetd methods of block pools and volumes (targetd API 0.7 §7.1–7.2): <c>pool_list</c>, <c>vol_list</c>,
/// <c>vol_create</c>, <c>vol_destroy</c>, <c>vol_copy</c> and <c>vol_resize</c>, with targetd's field names,
/// types and error codes.
/// </summary>
internal sealed class TargetdBlockMethods
{
    private readonly IReadOnlyList<IBlockPool> _pools;
    private readonly Func<string, string, bool> _isExported;
    private readonly TargetdFsMethods? _fsMethods;
    private readonly Func<IBlockPool, string, long, CancellationToken, Task> _resize;

    /// <param name="pools">The block pools, in the order <c>pool_list</c> reports them.</param>
    /// <param name="isExported">Whether a volume (pool, name) is exported; such volumes cannot be destroyed.</param>
    /// <param name="fsMethods">The fs pools, listed by <c>pool_list</c> after the block pools as targetd lists them.</param>
    /// <param name="resize">
    /// Grows a volume (pool, name, size): <see cref="TargetdExports.ResizeAsync"/>, which grows an exported volume's
    /// open device in place; the pool's own resize when null.
    /// </param>
    public TargetdBlockMethods(
        IReadOnlyList<IBlockPool> pools,
        Func<string, string, bool>? isExported = null,
        TargetdFsMethods? fsMethods = null,
        Func<IBlockPool, string, long, CancellationToken, Task>? resize = null)
    {
        _pools = pools ?? throw new ArgumentNullException(nameof(pools));
        _isExported = isExported ?? ((_, _) => false);
        _fsMethods = fsMethods;
        _resize = resize ?? ((pool, name, size, ct) => pool.ResizeAsync(name, size, ct));
    }

    /// <summary>The method table entries.</summary>
    public IEnumerable<RpcMethod> Methods()
    {
        yield return new RpcMethod("pool_list", [], async (_, ct) =>
        {
            var list = new JArray();
            foreach (var pool in _pools)
            {
                var info = await pool.GetInfoAsync(ct).ConfigureAwait(false);
                list.Add(new JObject { ["name"] = info.Name, ["size"] = info.Size, ["free_size"] = info.FreeSize, ["type"] = "block", ["uuid"] = Uuid(info) });
            }

            if (_fsMethods is not null)
            {
                foreach (var entry in await _fsMethods.PoolListAsync(ct).ConfigureAwait(false))
                {
                    list.Add(entry);
                }
            }

            return list;
        });

        yield return RpcRequest.Method<PoolRequest>("vol_list", async (request, ct) =>
            new JArray((await Pool(request.Pool).ListAsync(ct).ConfigureAwait(false))
                .Select(v => new JObject { ["name"] = v.Name, ["size"] = v.Size, ["uuid"] = v.Uuid })));

        yield return RpcRequest.Command<VolumeSizeRequest>("vol_create", (request, ct) => Pool(request.Pool).CreateAsync(request.Name, request.Size, ct));

        yield return RpcRequest.Command<VolumeRequest>("vol_destroy", async (request, ct) =>
        {
            var pool = Pool(request.Pool);
            if ((await pool.ListAsync(ct).ConfigureAwait(false)).All(v => v.Name != request.Name))
            {
                throw TargetdErrors.VolumeNotFound(request.Name, pool.Name);
            }

            if (_isExported(pool.Name, request.Name))
            {
                throw TargetdErrors.VolumeExported(request.Name);
            }

            await pool.DestroyAsync(request.Name, ct).ConfigureAwait(false);
        });

        yield return RpcRequest.Command<VolumeCopyRequest>("vol_copy", (request, ct) => Pool(request.Pool).CopyAsync(request.Source, request.Destination, request.Size, ct));

        yield return RpcRequest.Command<VolumeSizeRequest>("vol_resize", (request, ct) => _resize(Pool(request.Pool), request.Name, request.Size, ct));
    }

    /// <summary>The pool of that name (-110 otherwise).</summary>
    public IBlockPool Pool(string name) => BlockPoolLookup.Find(_pools, name);

    /// <summary>A pool's uuid: a string, or a JSON number for a ZFS pool's GUID as targetd sends it (targetd-peer §7.1).</summary>
    private static JValue Uuid(BlockPoolInfo info) =>
        info.UuidIsNumber && ulong.TryParse(info.Uuid, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong number)
            ? new JValue(number)
            : new JValue(info.Uuid);
}
