using System.Runtime.InteropServices;

namespace Targetd.Storage.Pools.Rbd.Native;

/// <summary>The librados calls the RBD pools use (Debian package librados2, ABI <c>librados.so.2</c>).</summary>
internal static unsafe partial class LibRados
{
    public const string Library = "librados.so.2";

    [StructLayout(LayoutKind.Sequential)]
    public struct ClusterStat
    {
        public ulong Kb;
        public ulong KbUsed;
        public ulong KbAvail;
        public ulong NumObjects;
    }

    [LibraryImport(Library, EntryPoint = "rados_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Create(out nint cluster, string? id);

    [LibraryImport(Library, EntryPoint = "rados_conf_read_file", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ConfReadFile(nint cluster, string path);

    [LibraryImport(Library, EntryPoint = "rados_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ConfSet(nint cluster, string option, string value);

    [LibraryImport(Library, EntryPoint = "rados_connect")]
    public static partial int Connect(nint cluster);

    [LibraryImport(Library, EntryPoint = "rados_shutdown")]
    public static partial void Shutdown(nint cluster);

    [LibraryImport(Library, EntryPoint = "rados_ioctx_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int IoctxCreate(nint cluster, string poolName, out nint ioctx);

    [LibraryImport(Library, EntryPoint = "rados_ioctx_destroy")]
    public static partial void IoctxDestroy(nint ioctx);

    [LibraryImport(Library, EntryPoint = "rados_ioctx_get_id")]
    public static partial long IoctxGetId(nint ioctx);

    [LibraryImport(Library, EntryPoint = "rados_cluster_stat")]
    public static partial int ClusterStatistics(nint cluster, out ClusterStat result);

    [LibraryImport(Library, EntryPoint = "rados_cluster_fsid")]
    public static partial int ClusterFsid(nint cluster, byte* buffer, nuint length);

    [LibraryImport(Library, EntryPoint = "rados_read", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Read(nint ioctx, string oid, byte* buffer, nuint length, ulong offset);

    [LibraryImport(Library, EntryPoint = "rados_create_write_op")]
    public static partial nint CreateWriteOp();

    [LibraryImport(Library, EntryPoint = "rados_release_write_op")]
    public static partial void ReleaseWriteOp(nint op);

    [LibraryImport(Library, EntryPoint = "rados_write_op_create")]
    public static partial void WriteOpCreate(nint op, int exclusive, byte* category);

    [LibraryImport(Library, EntryPoint = "rados_write_op_cmpext")]
    public static partial void WriteOpCompareExtent(nint op, byte* compare, nuint length, ulong offset, int* result);

    [LibraryImport(Library, EntryPoint = "rados_write_op_write_full")]
    public static partial void WriteOpWriteFull(nint op, byte* buffer, nuint length);

    [LibraryImport(Library, EntryPoint = "rados_write_op_operate", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int WriteOpOperate(nint op, nint ioctx, string oid, long* mtime, int flags);

    [LibraryImport(Library, EntryPoint = "rados_watch2", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Watch2(
        nint ioctx,
        string oid,
        out ulong cookie,
        delegate* unmanaged<nint, ulong, ulong, ulong, nint, nuint, void> watchCallback,
        delegate* unmanaged<nint, ulong, int, void> errorCallback,
        nint argument);

    [LibraryImport(Library, EntryPoint = "rados_unwatch2")]
    public static partial int Unwatch2(nint ioctx, ulong cookie);

    [LibraryImport(Library, EntryPoint = "rados_watch_flush")]
    public static partial int WatchFlush(nint cluster);

    [LibraryImport(Library, EntryPoint = "rados_notify_ack", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int NotifyAck(nint ioctx, string oid, ulong notifyId, ulong cookie, byte* buffer, int length);

    [LibraryImport(Library, EntryPoint = "rados_notify2", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Notify2(nint ioctx, string oid, byte* buffer, int length, ulong timeoutMilliseconds, out nint replyBuffer, out nuint replyLength);

    [LibraryImport(Library, EntryPoint = "rados_buffer_free")]
    public static partial void BufferFree(nint buffer);

    [LibraryImport(Library, EntryPoint = "rados_remove", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Remove(nint ioctx, string oid);

    [LibraryImport(Library, EntryPoint = "rados_aio_create_completion")]
    public static partial int AioCreateCompletion(nint argument, delegate* unmanaged<nint, nint, void> complete, delegate* unmanaged<nint, nint, void> safe, out nint completion);

    [LibraryImport(Library, EntryPoint = "rados_aio_read", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int AioRead(nint ioctx, string oid, nint completion, byte* buffer, nuint length, ulong offset);

    [LibraryImport(Library, EntryPoint = "rados_aio_get_return_value")]
    public static partial int AioGetReturnValue(nint completion);

    [LibraryImport(Library, EntryPoint = "rados_aio_release")]
    public static partial void AioRelease(nint completion);
}
