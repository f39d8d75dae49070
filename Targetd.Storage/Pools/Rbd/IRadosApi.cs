namespace Targetd.Storage.Pools.Rbd;

/// <summary>
/// The entry point of the native layer: connects to a cluster and opens an I/O context on one pool. The
/// implementation over librados/librbd is <see cref="Native.NativeRadosApi"/>; tests use fakes.
/// </summary>
internal interface IRadosApi
{
    /// <summary>
    /// Connects (blocking: rados_connect waits for the monitors up to <c>client_mount_timeout</c>).
    /// </summary>
    /// <exception cref="RbdException">The cluster is unreachable or refuses the client, or the pool is missing.</exception>
    /// <exception cref="DllNotFoundException">librados.so.2 or librbd.so.1 is not installed.</exception>
    IRbdPoolContext Connect(RbdPoolOptions options);
}
