namespace Targetd.Storage.Pools.Rbd;

/// <summary>Raw capacity of the cluster (rados_cluster_stat), in bytes.</summary>
internal readonly record struct RbdClusterStats(long Size, long Used, long Available);
