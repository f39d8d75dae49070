using Targetd.Storage.Errors;

namespace Targetd.Storage.Pools;

/// <summary>How a block pool is found by the name clients give: the one rule the API methods and the exports share.</summary>
internal static class BlockPoolLookup
{
    /// <summary>The block pool of that name among <paramref name="pools"/>.</summary>
    /// <exception cref="StorageException"><see cref="StorageErrorKind.PoolNotFound"/> when there is none.</exception>
    public static IBlockPool Find(IReadOnlyList<IBlockPool> pools, string name) =>
        pools.FirstOrDefault(p => p.Name == name) ?? throw StorageErrors.PoolNotFound(name);
}
