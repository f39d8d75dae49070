using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Targetd.Storage.Pools.Rbd.Native;

/// <summary>
/// One librbd aio call in flight: a completion whose argument is a GCHandle to this object, the caller's
/// buffer pinned, and a task completed from librbd's callback thread. A compare-and-write also pins its compare
/// buffer and owns the native word librbd writes the mismatch offset to.
/// </summary>
/// <remarks>
/// Spec (scale-out): "buffers pinned until their completion fires". The pin and the GCHandle are released in
/// the callback, never before, even when the caller stops waiting; continuations run on the thread pool,
/// not on librbd's finisher thread.
/// </remarks>
internal sealed unsafe class RbdAioOperation
{
    /// <summary>librbd's -EILSEQ: a compare-and-write found different bytes.</summary>
    private const int EILSEQ = 84;

    private readonly TaskCompletionSource<long> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _call;
    private MemoryHandle _pin;
    private MemoryHandle _comparePin;
    private ulong* _mismatch;
    private GCHandle _self;

    private RbdAioOperation(string call, MemoryHandle pin)
    {
        _call = call;
        _pin = pin;
    }

    public Task Task => _completion.Task;

    /// <summary>
    /// What a compare-and-write came to: -1 when it wrote, otherwise the mismatch offset librbd reported.
    /// </summary>
    public Task<long> Outcome => _completion.Task;

    /// <summary>The pinned buffer (null for operations without one).</summary>
    public byte* Buffer => (byte*)_pin.Pointer;

    /// <summary>The pinned compare buffer of a compare-and-write.</summary>
    public byte* CompareBuffer => (byte*)_comparePin.Pointer;

    /// <summary>Where librbd writes a compare-and-write's mismatch offset: native memory freed when the completion fires.</summary>
    public ulong* MismatchOffset => _mismatch;

    /// <summary>Starts an operation: keeps <paramref name="pin"/> and creates its librbd completion.</summary>
    public static RbdAioOperation Start(string call, MemoryHandle pin, out nint completion) => Start(new RbdAioOperation(call, pin), out completion);

    /// <summary>
    /// Starts a compare-and-write: keeps both buffers pinned and allocates the mismatch offset, all until the
    /// completion fires (librbd writes the offset just before).
    /// </summary>
    public static RbdAioOperation StartCompareAndWrite(MemoryHandle compare, MemoryHandle write, out nint completion)
    {
        var operation = new RbdAioOperation("rbd_aio_compare_and_write", write)
        {
            _comparePin = compare,
            _mismatch = (ulong*)NativeMemory.AllocZeroed(sizeof(ulong)),
        };
        return Start(operation, out completion);
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

    private static RbdAioOperation Start(RbdAioOperation operation, out nint completion)
    {
        operation._self = GCHandle.Alloc(operation);
        int result = LibRbd.AioCreateCompletion(GCHandle.ToIntPtr(operation._self), &OnComplete, out completion);
        if (result < 0)
        {
            operation.Finish(result);
            completion = 0;
        }

        return operation;
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
        _comparePin.Dispose();
        if (_self.IsAllocated)
        {
            _self.Free();
        }

        bool compares = _mismatch is not null;
        long mismatch = -1;
        if (compares)
        {
            mismatch = (long)*_mismatch;
            NativeMemory.Free(_mismatch);
            _mismatch = null;
        }

        if (compares && result == -EILSEQ)
        {
            _completion.TrySetResult(mismatch);
        }
        else if (result < 0)
        {
            _completion.TrySetException(new RbdException(_call, (int)-result));
        }
        else
        {
            _completion.TrySetResult(-1);
        }
    }
}
