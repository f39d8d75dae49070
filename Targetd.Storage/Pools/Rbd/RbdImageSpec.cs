namespace Targetd.Storage.Pools.Rbd;

/// <summary>An image of a pool as rbd_list2 names it: its stable id and its name.</summary>
internal readonly record struct RbdImageSpec(string Id, string Name);
