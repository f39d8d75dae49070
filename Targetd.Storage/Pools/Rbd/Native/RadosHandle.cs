using System.Runtime.InteropServices;

namespace Targetd.Storage.Pools.Rbd.Native;

/// <summary>
/// A connected cluster (rados_t) and its I/O context on one pool (rados_ioctx_t). Open images hold a
/// reference (DangerousAddRef), so the context is destroyed and the cluster shut down only after the last
/// image is closed, however the pool and its exports are disposed.
/// </summary>
internal sealed class RadosHandle : SafeHandle
{
    public RadosHandle(nint cluster, nint ioctx)
        : base(0, ownsHandle: true)
    {
        SetHandle(cluster);
        IoContext = ioctx;
    }

    public RadosHandle()
        : base(0, ownsHandle: true)
    {
    }

    public nint IoContext { get; }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        if (IoContext != 0)
        {
            LibRados.IoctxDestroy(IoContext);
        }

        LibRados.Shutdown(handle);
        return true;
    }
}
