using System.Buffers;

namespace Targetd.Iscsi.Server;

/// <summary>
/// Where a connection's buffers come from: PDU headers, Data-Out and Data-In. A buffer is given back only when nothing
/// (a socket send, a Data-Out copy, a running command) can touch it any more.
/// </summary>
internal abstract class IoBufferPool
{
    /// <summary>
    /// Transfers up to this size are pooled; larger ones are allocated for the command and left to the collector, so a
    /// burst of large commands is not kept by the pool once it is over: the shared pool has a
    /// <see cref="LargeBufferReclaimer"/> collect them, and give their memory back to the system, when it is.
    /// </summary>
    public const int PooledLimit = 1 << 20;

    /// <summary>The pool every registry uses unless it is given another.</summary>
    public static IoBufferPool Shared { get; } = new SharedPool(
        new LargeBufferReclaimer(LargeBufferReclaimer.DefaultThreshold, LargeBufferReclaimer.DefaultQuietPeriod, TimeProvider.System));

    /// <summary>A buffer of at least <paramref name="minimumLength"/> bytes, its contents undefined.</summary>
    public abstract byte[] Rent(int minimumLength);

    /// <summary>Gives back a buffer <see cref="Rent"/> returned; it must not be touched afterwards.</summary>
    public abstract void Return(byte[] buffer);

    /// <summary>Pools small buffers in <see cref="ArrayPool{T}.Shared"/>; tells <paramref name="reclaimer"/> of the large ones.</summary>
    internal sealed class SharedPool(LargeBufferReclaimer reclaimer) : IoBufferPool
    {
        public override byte[] Rent(int minimumLength)
        {
            if (minimumLength <= PooledLimit)
            {
                return ArrayPool<byte>.Shared.Rent(minimumLength);
            }

            reclaimer.Taken();
            return GC.AllocateUninitializedArray<byte>(minimumLength);
        }

        public override void Return(byte[] buffer)
        {
            if (buffer.Length <= PooledLimit)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            else
            {
                reclaimer.GivenBack(buffer.Length);
            }
        }
    }
}
