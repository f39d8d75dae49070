using System.Numerics;

namespace Targetd.Iscsi.Server;

/// <summary>
/// Byte arrays of power-of-two sizes, from <see cref="MinimumSize"/> to <see cref="MaximumSize"/>, kept for reuse: a
/// bucket of each size holds at most <see cref="DefaultBucketBytes"/> (and at most <see cref="DefaultBucketArrays"/>
/// arrays), and an array given back to a full bucket is left to the collector. Unlike
/// <see cref="System.Buffers.ArrayPool{T}.Shared"/>, which keeps arrays per core and per thread and lets go of them only
/// slowly, what it holds is bounded and can be dropped at once (<see cref="Trim"/>) once a burst is over. Renting and
/// giving back take no lock and allocate nothing. Safe for concurrent use.
/// </summary>
internal sealed class BoundedArrayPool
{
    /// <summary>The smallest array it hands out; smaller requests get one of this size.</summary>
    public const int MinimumSize = 64;

    /// <summary>The largest array it hands out.</summary>
    public const int MaximumSize = IoBufferPool.PooledLimit;

    /// <summary>The default bound of the bytes one bucket holds: 16 MiB, sixteen 1 MiB arrays.</summary>
    public const int DefaultBucketBytes = 16 << 20;

    /// <summary>
    /// The default bound of the arrays one bucket holds, whatever their size: the buckets of arrays under 128 KiB hold
    /// 8 MiB together at most.
    /// </summary>
    public const int DefaultBucketArrays = 64;

    private const int MinimumShift = 6; // log2(MinimumSize)

    private readonly BufferBucket[] _buckets;

    /// <param name="bucketBytes">The bytes one bucket holds at most; at least one array of every size is kept.</param>
    /// <param name="bucketArrays">The arrays one bucket holds at most.</param>
    public BoundedArrayPool(int bucketBytes = DefaultBucketBytes, int bucketArrays = DefaultBucketArrays)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketArrays);
        _buckets = new BufferBucket[BucketOf(MaximumSize) + 1];
        for (int i = 0; i < _buckets.Length; i++)
        {
            int size = MinimumSize << i;
            _buckets[i] = new BufferBucket(size, Math.Clamp(bucketBytes / size, 1, bucketArrays));
        }
    }

    /// <summary>The bytes of the arrays held, in buckets of arrays of at least <paramref name="minimumSize"/> bytes.</summary>
    public long RetainedBytes(int minimumSize = 0) =>
        _buckets.Where(b => b.Size >= minimumSize).Sum(b => (long)b.Count * b.Size);

    /// <summary>How many arrays of <paramref name="size"/> bytes it keeps at most.</summary>
    public int CapacityOf(int size) => _buckets[BucketOf(size)].Capacity;

    /// <summary>
    /// An array of at least <paramref name="minimumLength"/> bytes, at most <see cref="MaximumSize"/>: its length is the
    /// next power of two, its contents undefined.
    /// </summary>
    public byte[] Rent(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minimumLength, MaximumSize);
        if (minimumLength == 0)
        {
            return [];
        }

        var bucket = _buckets[BucketOf(minimumLength)];
        return bucket.TryRent() ?? GC.AllocateUninitializedArray<byte>(bucket.Size);
    }

    /// <summary>
    /// Gives back an array <see cref="Rent"/> returned; <see langword="false"/> if its bucket was full and it was left to
    /// the collector.
    /// </summary>
    /// <exception cref="ArgumentException">Its length is none of the pool's sizes.</exception>
    public bool Return(byte[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length == 0)
        {
            return true;
        }

        if (array.Length < MinimumSize || array.Length > MaximumSize || !BitOperations.IsPow2(array.Length))
        {
            throw new ArgumentException($"An array of {array.Length} bytes was not rented from this pool.", nameof(array));
        }

        return _buckets[BucketOf(array.Length)].TryReturn(array);
    }

    /// <summary>
    /// Drops every array held of at least <paramref name="minimumSize"/> bytes, for the collector; returns how many bytes
    /// they were.
    /// </summary>
    public long Trim(int minimumSize)
    {
        long dropped = 0;
        foreach (var bucket in _buckets)
        {
            if (bucket.Size >= minimumSize)
            {
                dropped += bucket.Clear();
            }
        }

        return dropped;
    }

    /// <summary>The bucket of the smallest size of at least <paramref name="length"/> bytes (1 to <see cref="MaximumSize"/>).</summary>
    private static int BucketOf(int length) => BitOperations.Log2((uint)(length - 1) | (MinimumSize - 1)) + 1 - MinimumShift;
}
