namespace Targetd.Iscsi.Server;

/// <summary>
/// Where a connection's buffers come from: PDU headers, Data-Out and Data-In. A buffer is given back only when nothing
/// (a socket send, a Data-Out copy, a running command) can touch it any more.
/// </summary>
internal abstract class IoBufferPool
{
    /// <summary>
    /// Transfers up to this size are pooled, in a <see cref="BoundedArrayPool"/>; larger ones are allocated for the
    /// command and left to the collector. Either way a burst of large commands is not kept once it is over: the shared
    /// pool has a <see cref="LargeBufferReclaimer"/> drop the large pooled arrays, collect them and the unpooled ones, and
    /// give their memory back to the system, when it is.
    /// </summary>
    public const int PooledLimit = 1 << 20;

    /// <summary>
    /// Buffers up to this size are small: the collector keeps them with the other objects and compacts them as it goes.
    /// Larger ones (pooled ones have at least 128 KiB) are on the large object heap, which only a full collection frees,
    /// so the <see cref="LargeBufferReclaimer"/> of the shared pool is told of them.
    /// </summary>
    public const int SmallLimit = 64 << 10;

    /// <summary>The pool every registry uses unless it is given another.</summary>
    public static IoBufferPool Shared { get; } = new SharedPool(TimeProvider.System);

    /// <summary>A buffer of at least <paramref name="minimumLength"/> bytes, its contents undefined.</summary>
    public abstract byte[] Rent(int minimumLength);

    /// <summary>Gives back a buffer <see cref="Rent"/> returned; it must not be touched afterwards.</summary>
    public abstract void Return(byte[] buffer);

    /// <summary>
    /// Pools buffers up to <see cref="PooledLimit"/> in a <see cref="BoundedArrayPool"/>, allocates larger ones, and tells
    /// a <see cref="LargeBufferReclaimer"/> of every large one taken or given back. Once a burst of them is over, the
    /// reclaimer's collection first drops the large arrays pooled (none was taken for its quiet period), so the
    /// collection frees them too; smaller ones stay pooled.
    /// </summary>
    internal sealed class SharedPool : IoBufferPool, IDisposable
    {
        private readonly BoundedArrayPool _arrays;

        /// <param name="time">The clock of the reclaimer's quiet period.</param>
        /// <param name="collect">The collection; <see langword="null"/> for <see cref="LargeBufferReclaimer.CollectAggressively"/>.</param>
        /// <param name="threshold">The reclaimer's <see cref="LargeBufferReclaimer.Threshold"/>.</param>
        /// <param name="quietPeriod">The reclaimer's <see cref="LargeBufferReclaimer.QuietPeriod"/>; <see langword="null"/> for the default.</param>
        /// <param name="arrays">The pool of the buffers up to <see cref="PooledLimit"/>; <see langword="null"/> for one with the default bounds.</param>
        public SharedPool(
            TimeProvider time,
            Action? collect = null,
            long threshold = LargeBufferReclaimer.DefaultThreshold,
            TimeSpan? quietPeriod = null,
            BoundedArrayPool? arrays = null)
        {
            _arrays = arrays ?? new BoundedArrayPool();
            collect ??= LargeBufferReclaimer.CollectAggressively;
            Reclaimer = new LargeBufferReclaimer(threshold, quietPeriod ?? LargeBufferReclaimer.DefaultQuietPeriod, time, () =>
            {
                _arrays.Trim(SmallLimit + 1);
                collect();
            });
        }

        public LargeBufferReclaimer Reclaimer { get; }

        /// <summary>The pool of the buffers up to <see cref="PooledLimit"/>.</summary>
        public BoundedArrayPool Arrays => _arrays;

        public override byte[] Rent(int minimumLength)
        {
            if (minimumLength <= SmallLimit)
            {
                return _arrays.Rent(minimumLength);
            }

            Reclaimer.Taken();
            return minimumLength <= PooledLimit ? _arrays.Rent(minimumLength) : GC.AllocateUninitializedArray<byte>(minimumLength);
        }

        public override void Return(byte[] buffer)
        {
            if (buffer.Length <= PooledLimit)
            {
                _arrays.Return(buffer);
            }

            if (buffer.Length > SmallLimit)
            {
                Reclaimer.GivenBack(buffer.Length);
            }
        }

        public void Dispose() => Reclaimer.Dispose();
    }
}
