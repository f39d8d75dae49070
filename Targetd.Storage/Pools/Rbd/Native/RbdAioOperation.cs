using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Targetd.Storage.Pools.Rbd.Native;

/// <summary>
/// One librbd aio call in flight: a completion whose argument is a GCHandle to this object, the caller's
/// buffer pinned, and a task completed from librbd's callback thread.
/// </summary>
/// <remarks>
/// Spec (scale-out): "buffers pinned until their completion fires". The pin and the GCHandle are released in
/// the callback, never before, even when the caller stops waiting; continuations run on the thread pool,
/// not on librbd's finisher thread.
/// </remarks>
internal sealed unsafe class RbdAioOperation
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _call;
    private MemoryHandle _pin;
    private GCHandle _self;

    private RbdAioOperation(string call, MemoryHandle pin)
    {
        _call = call;
        _pin = pin;
    }

    public Task Task => _completion.Task;

    /// <summary>The pinned buffer (null for operations without one).</summary>
    public byte* Buffer => (byte*)_pin.Pointer;

    /// <summary>Starts an operation: keeps <paramref name="pin"/> and creates its librbd completion.</summary>
    public static RbdAioOperation Start(string call, MemoryHandle pin, out nint completion)
    {
        var operation = new RbdAioOperation(call, pin);
        operation._self = GCHandle.Alloc(operation);
        int result = LibRbd.AioCreateCompletion(GCHandle.ToIntPtr(operation._self), &OnComplete, out completion);
        if (result < 0)
        {
            operation.Finish(result);
            completion = 0;
        }

        return operation;
    }

    /// <summary>Handles the return value of the submitting call: a refused submission never fires its completion.</summary>
    public Task Submitted(int result, nint completion)
    {
        if (completion != 0 && result < 0)
        {
            LibRbd.AioRelease(completion);
            Finish(result);
        }

        return Task;
    }

    [UnmanagedCallersOnly]
    private static void OnComplete(nint completion, nint argument)
    {
        var operation = (RbdAioOperation)GCHandle.FromIntPtr(argument).Target!;
        long result = LibRbd.AioGetReturnValue(completion);
        LibRbd.AioRelease(completion);
        operation.Finish(result);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Finish(long result)
    {
        _pin.Dispose();
        if (_self.IsAllocated)
        {
            _self.Free();
        }

        if (result < 0)
        {
            _completion.TrySetException(new RbdException(_call, (int)-result));
        }
        else
        {
            _completion.TrySetResult();
        }
    }
}
