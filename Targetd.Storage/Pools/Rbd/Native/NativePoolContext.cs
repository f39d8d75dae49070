using System.Runtime.InteropServices;
using System.Text;

namespace Targetd.Storage.Pools.Rbd.Native;

/// <summary>The pool-level librados/librbd calls over one connection.</summary>
internal sealed unsafe class NativePoolContext : IRbdPoolContext
{
    private const int ERANGE = 34;
    private const int ETIMEDOUT = 110;
    private const int MaxErrno = 4095;
    private readonly RadosHandle _handle;

    public NativePoolContext(RadosHandle handle)
    {
        _handle = handle;
        PoolId = LibRados.IoctxGetId(handle.IoContext);
        byte* fsid = stackalloc byte[64];
        int length = (int)RbdException.Check(LibRados.ClusterFsid(handle.DangerousGetHandle(), fsid, 64), "rados_cluster_fsid");
        ClusterFsid = Encoding.ASCII.GetString(fsid, length).TrimEnd('\0');
    }

    public string ClusterFsid { get; }

    public long PoolId { get; }

    private nint Io => _handle.IoContext;

    public RbdClusterStats GetClusterStats()
    {
        using var use = new HandleUse(_handle);
        RbdException.Check(LibRados.ClusterStatistics(_handle.DangerousGetHandle(), out var stat), "rados_cluster_stat");
        return new RbdClusterStats(checked((long)stat.Kb * 1024), checked((long)stat.KbUsed * 1024), checked((long)stat.KbAvail * 1024));
    }

    public IReadOnlyList<RbdImageSpec> ListImages()
    {
        using var use = new HandleUse(_handle);
        nuint capacity = 64;
        while (true)
        {
            var specs = new LibRbd.ImageSpec[(int)capacity];
            fixed (LibRbd.ImageSpec* pointer = specs)
            {
                nuint count = capacity;
                int result = LibRbd.List2(Io, pointer, ref count);
                if (result == -ERANGE)
                {
                    capacity = Math.Max(count, capacity * 2);
                    continue;
                }

                RbdException.Check(result, "rbd_list2");
                var images = new List<RbdImageSpec>((int)count);
                for (int i = 0; i < (int)count; i++)
                {
                    images.Add(new RbdImageSpec(Marshal.PtrToStringUTF8((nint)specs[i].Id) ?? string.Empty, Marshal.PtrToStringUTF8((nint)specs[i].Name) ?? string.Empty));
                }

                LibRbd.ImageSpecListCleanup(pointer, count);
                return images;
            }
        }
    }

    public void CreateImage(string name, long size)
    {
        using var use = new HandleUse(_handle);
        int order = 0;
        RbdException.Check(LibRbd.Create(Io, name, (ulong)size, ref order), "rbd_create");
    }

    public void RemoveImage(string name)
    {
        using var use = new HandleUse(_handle);
        RbdException.Check(LibRbd.Remove(Io, name), "rbd_remove");
    }

    public void Clone(string parent, string snapshot, string child)
    {
        using var use = new HandleUse(_handle);
        LibRbd.ImageOptionsCreate(out nint options);
        try
        {
            RbdException.Check(LibRbd.Clone3(Io, parent, snapshot, Io, child, options), "rbd_clone3");
        }
        finally
        {
            LibRbd.ImageOptionsDestroy(options);
        }
    }

    public IRbdImage OpenImage(string name, bool readOnly)
    {
        var use = new HandleUse(_handle);
        try
        {
            int result = readOnly ? LibRbd.OpenReadOnly(Io, name, out nint image, null) : LibRbd.Open(Io, name, out image, null);
            RbdException.Check(result, readOnly ? "rbd_open_read_only" : "rbd_open");
            return new NativeRbdImage(image, use);
        }
        catch
        {
            use.Dispose();
            throw;
        }
    }

    public Task<byte[]?> ReadObjectAsync(string oid, int maximum) => RadosAioRead.Start(_handle, oid, maximum);

    public bool CompareAndWriteObject(string oid, ReadOnlySpan<byte> expectedPrefix, ReadOnlySpan<byte> content)
    {
        using var use = new HandleUse(_handle);
        nint op = LibRados.CreateWriteOp();
        try
        {
            int compared = 0;
            fixed (byte* expected = expectedPrefix)
            fixed (byte* data = content)
            {
                if (expectedPrefix.IsEmpty)
                {
                    LibRados.WriteOpCreate(op, 1, null); // LIBRADOS_CREATE_EXCLUSIVE
                }
                else
                {
                    LibRados.WriteOpCompareExtent(op, expected, (nuint)expectedPrefix.Length, 0, &compared);
                }

                LibRados.WriteOpWriteFull(op, data, (nuint)content.Length);
                int result = LibRados.WriteOpOperate(op, Io, oid, null, 0);

                // A failed cmpext reports -MAX_ERRNO - offset of the first difference; a taken create -EEXIST; a
                // vanished object -ENOENT.
                if (result <= -MaxErrno || result == -RbdException.EEXIST || result == -RbdException.ENOENT)
                {
                    return false;
                }

                RbdException.Check(result, "rados_write_op_operate");
                return true;
            }
        }
        finally
        {
            LibRados.ReleaseWriteOp(op);
        }
    }

    public IDisposable WatchObject(string oid, Func<CancellationToken, ValueTask> changed) => RadosWatch.Start(_handle, oid, changed);

    public bool NotifyObject(string oid, TimeSpan timeout)
    {
        using var use = new HandleUse(_handle);
        int result = LibRados.Notify2(Io, oid, null, 0, (ulong)timeout.TotalMilliseconds, out nint reply, out _);
        if (reply != 0)
        {
            LibRados.BufferFree(reply);
        }

        if (result == -ETIMEDOUT)
        {
            return false;
        }

        if (result == -RbdException.ENOENT)
        {
            return true;
        }

        RbdException.Check(result, "rados_notify2");
        return true;
    }

    public void RemoveObject(string oid)
    {
        using var use = new HandleUse(_handle);
        int result = LibRados.Remove(Io, oid);
        if (result != -RbdException.ENOENT)
        {
            RbdException.Check(result, "rados_remove");
        }
    }

    public void Dispose() => _handle.Dispose();
}
