namespace Targetd.Storage.Pools.Rbd;

/// <summary>Where an RBD block pool lives: a Ceph pool, reached with a ceph.conf and a client id.</summary>
/// <param name="CephPool">The Ceph (RADOS) pool holding the images.</param>
/// <param name="ConfPath">The ceph.conf to read (monitors, keyring path).</param>
/// <param name="ClientId">The client id without <c>client.</c> (e.g. <c>admin</c>).</param>
public sealed record RbdPoolOptions(string CephPool, string ConfPath = "/etc/ceph/ceph.conf", string ClientId = "admin");
