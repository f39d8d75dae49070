using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace Targetd.Storage.Pools.Rbd.Native;

/// <summary>An open rbd_image_t: synchronous management calls and aio reads, writes, compare-and-writes, discards and flushes.</summary>
internal sealed unsafe class NativeRbdImage : IRbdImage
{
    private readonly HandleUse _connection;
    private nint _image;

    public NativeRbdImage(nint image, HandleUse connection)
    {
        _image = image;
        _connection = connection;
    }

    private nint Image => _image != 0 ? _image : throw new ObjectDisposedException(nameof(NativeRbdImage));

    public long GetSize()
    {
        RbdException.Check(LibRbd.GetSize(Image, out ulong size), "rbd_get_size");
        return checked((long)size);
    }

    public string GetId()
    {
        byte* id = stackalloc byte[128];
        RbdException.Check(LibRbd.GetId(Image, id, 128), "rbd_get_id");
        return Encoding.ASCII.GetString(id, new ReadOnlySpan<byte>(id, 128).IndexOf((byte)0));
    }

    public void Resize(long size) => RbdException.Check(LibRbd.Resize(Image, (ulong)size), "rbd_resize");

    public void CreateSnapshot(string name) => RbdException.Check(LibRbd.SnapCreate(Image, name), "rbd_snap_create");

    public void ProtectSnapshot(string name) => RbdException.Check(LibRbd.SnapProtect(Image, name), "rbd_snap_protect");

    public void UnprotectSnapshot(string name) => RbdException.Check(LibRbd.SnapUnprotect(Image, name), "rbd_snap_unprotect");

    public void RemoveSnapshot(string name) => RbdException.Check(LibRbd.SnapRemove(Image, name), "rbd_snap_remove");

    public void Flatten() => RbdException.Check(LibRbd.Flatten(Image), "rbd_flatten");

    public void DiffIterate(long offset, long length, Action<long, long, bool> extent)
    {
        ArgumentNullException.ThrowIfNull(extent);
        var found = new List<(long Offset, long Length, bool Exists)>();
        var handle = GCHandle.Alloc(found);
        try
        {
            RbdException.Check(LibRbd.DiffIterate2(Image, null, (ulong)offset, (ulong)length, 1, 0, &OnExtent, GCHandle.ToIntPtr(handle)), "rbd_diff_iterate2");
        }
        finally
        {
            handle.Free();
        }

        // librbd may call back from its own threads, in object order: hand them on sorted, on this thread.
        foreach (var (start, count, exists) in found.OrderBy(e => e.Offset))
        {
            extent(start, count, exists);
        }
    }

    public Task ReadAsync(long offset, Memory<byte> destination)
    {
        var operation = RbdAioOperation.Start("rbd_aio_read", destination.Pin(), out nint completion);
        return completion == 0
            ? operation.Task
            : operation.Submitted(LibRbd.AioRead(Image, (ulong)offset, (nuint)destination.Length, operation.Buffer, completion), completion);
    }

    public Task WriteAsync(long offset, ReadOnlyMemory<byte> source)
    {
        var operation = RbdAioOperation.Start("rbd_aio_write", source.Pin(), out nint completion);
        return completion == 0
            ? operation.Task
            : operation.Submitted(LibRbd.AioWrite(Image, (ulong)offset, (nuint)source.Length, operation.Buffer, completion), completion);
    }

    public Task<long> CompareAndWriteAsync(long offset, ReadOnlyMemory<byte> compare, ReadOnlyMemory<byte> write)
    {
        var operation = RbdAioOperation.StartCompareAndWrite(compare.Pin(), write.Pin(), out nint completion);
        if (completion != 0)
        {
            int submitted = LibRbd.AioCompareAndWrite(Image, (ulong)offset, (nuint)write.Length, operation.CompareBuffer, operation.Buffer, completion, operation.MismatchOffset, 0);
            _ = operation.Submitted(submitted, completion);
        }

        return operation.Outcome;
    }

    public Task DiscardAsync(long offset, long length)
    {
        var operation = RbdAioOperation.Start("rbd_aio_discard", default, out nint completion);
        return completion == 0 ? operation.Task : operation.Submitted(LibRbd.AioDiscard(Image, (ulong)offset, (ulong)length, completion), completion);
    }

    public Task WriteZeroesAsync(long offset, long length)
    {
        var operation = RbdAioOperation.Start("rbd_aio_write_zeroes", default, out nint completion);
        return completion == 0 ? operation.Task : operation.Submitted(LibRbd.AioWriteZeroes(Image, (ulong)offset, (nuint)length, completion, 0, 0), completion);
    }

    public Task FlushAsync()
    {
        var operation = RbdAioOperation.Start("rbd_aio_flush", default, out nint completion);
        return completion == 0 ? operation.Task : operation.Submitted(LibRbd.AioFlush(Image, completion), completion);
    }

    public void Dispose()
    {
        nint image = Interlocked.Exchange(ref _image, 0);
        if (image != 0)
        {
            // rbd_close flushes and waits for in-flight aio before it returns.
            // Its only failure is a failed final flush, which completed writes never depend on.
            _ = LibRbd.Close(image);
            _connection.Dispose();
        }
    }

    [UnmanagedCallersOnly]
    private static int OnExtent(ulong offset, nuint length, int exists, nint argument)
    {
        var found = (List<(long, long, bool)>)GCHandle.FromIntPtr(argument).Target!;
        lock (found)
        {
            found.Add(((long)offset, (long)length, exists != 0));
        }

        return 0;
    }
}
