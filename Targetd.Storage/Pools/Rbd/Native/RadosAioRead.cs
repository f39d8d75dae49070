using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Targetd.Storage.Pools.Rbd.Native;

/// <summary>
/// One rados_aio_read in flight: no thread waits for the cluster. The buffer (pooled) stays pinned and the connection
/// referenced until librados's completion fires; the task then completes on the thread pool with a copy of what was
/// read, or null when the object does not exist.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "The connection reference is released by the completion, which always fires once.")]
internal sealed unsafe class RadosAioRead
{
    private readonly TaskCompletionSource<byte[]?> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly byte[] _buffer;
    private readonly HandleUse _use;
    private MemoryHandle _pin;
    private GCHandle _self;

    private RadosAioRead(RadosHandle handle, int maximum)
    {
        _use = new HandleUse(handle);
        _buffer = ArrayPool<byte>.Shared.Rent(maximum);
        _pin = _buffer.AsMemory().Pin();
    }

    /// <summary>Reads up to <paramref name="maximum"/> bytes from the start of <paramref name="oid"/>.</summary>
    public static Task<byte[]?> Start(RadosHandle handle, string oid, int maximum)
    {
        var read = new RadosAioRead(handle, maximum);
        read._self = GCHandle.Alloc(read);
        int result = LibRados.AioCreateCompletion(GCHandle.ToIntPtr(read._self), &OnComplete, null, out nint completion);
        if (result >= 0)
        {
            result = LibRados.AioRead(handle.IoContext, oid, completion, (byte*)read._pin.Pointer, (nuint)maximum, 0);
            if (result < 0)
            {
                LibRados.AioRelease(completion);
            }
        }

        if (result < 0)
        {
            read.Finish(result);
        }

        return read._completion.Task;
    }

    [UnmanagedCallersOnly]
    private static void OnComplete(nint completion, nint argument)
    {
        var read = (RadosAioRead)GCHandle.FromIntPtr(argument).Target!;
        int result = LibRados.AioGetReturnValue(completion);
        LibRados.AioRelease(completion);
        read.Finish(result);
    }

    private void Finish(int result)
    {
        byte[]? data = result >= 0 ? _buffer.AsSpan(0, result).ToArray() : null;
        _pin.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
        if (_self.IsAllocated)
        {
            _self.Free();
        }

        _use.Dispose();
        if (result >= 0 || result == -RbdException.ENOENT)
        {
            _completion.TrySetResult(data);
        }
        else
        {
            _completion.TrySetException(new RbdException("rados_aio_read", -result));
        }
    }
}
