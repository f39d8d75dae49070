namespace Targetd.Storage.Pools.Rbd.Native;

/// <summary>Connects through librados: ceph.conf, client id, then the pool's I/O context.</summary>
/// <remarks>
/// Spec (scale-out): "no gateway-side write cache that could hide data". librbd's own cache is turned off
/// (<c>rbd_cache = false</c>), so every write goes to the OSDs before it completes and a read through another
/// gateway sees it. Timeouts bound every call: connecting (<c>client_mount_timeout</c>), monitor and OSD
/// operations (30 s, as other RBD gateways do), so a lost cluster turns into errors, never a hang.
/// </remarks>
internal sealed class NativeRadosApi : IRadosApi
{
    private static readonly (string Option, string Value)[] Settings =
    [
        ("rbd_cache", "false"),
        ("client_mount_timeout", "15"),
        ("rados_mon_op_timeout", "30"),
        ("rados_osd_op_timeout", "30"),
    ];

    public IRbdPoolContext Connect(RbdPoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // librbd is loaded first so a missing librbd1 is reported before a connection is made.
        GC.KeepAlive(NativeLibraryProbe.Librbd);
        RbdException.Check(LibRados.Create(out nint cluster, options.ClientId), "rados_create");
        nint ioctx = 0;
        try
        {
            RbdException.Check(LibRados.ConfReadFile(cluster, options.ConfPath), $"rados_conf_read_file({options.ConfPath})");
            foreach (var (option, value) in Settings)
            {
                RbdException.Check(LibRados.ConfSet(cluster, option, value), $"rados_conf_set({option})");
            }

            RbdException.Check(LibRados.Connect(cluster), "rados_connect");
            RbdException.Check(LibRados.IoctxCreate(cluster, options.CephPool, out ioctx), $"rados_ioctx_create({options.CephPool})");
        }
        catch
        {
            LibRados.Shutdown(cluster);
            throw;
        }

        return new NativePoolContext(new RadosHandle(cluster, ioctx));
    }
}
