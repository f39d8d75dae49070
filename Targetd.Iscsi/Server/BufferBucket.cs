namespace Targetd.Iscsi.Server;

/// <summary>
/// The arrays of one size a <see cref="BoundedArrayPool"/> keeps: a fixed row of slots, each empty or holding one array,
/// taken and filled with one atomic exchange each, so renting and giving back take no lock and allocate nothing. An
/// approximate count of the arrays held says where to look first: arrays are put in just above the ones held and taken
/// from the top, so a slot is found at once unless another thread got there first. Safe for concurrent use.
/// </summary>
internal sealed class BufferBucket
{
    private readonly byte[]?[] _slots;
    private int _count;

    /// <param name="size">The length of every array of the bucket.</param>
    /// <param name="capacity">How many arrays it keeps at most.</param>
    public BufferBucket(int size, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Size = size;
        _slots = new byte[]?[capacity];
    }

    /// <summary>The length of every array of the bucket.</summary>
    public int Size { get; }

    /// <summary>How many arrays it keeps at most.</summary>
    public int Capacity => _slots.Length;

    /// <summary>How many arrays it holds; exact only while no other thread rents or gives back.</summary>
    public int Count => Math.Clamp(Volatile.Read(ref _count), 0, _slots.Length);

    /// <summary>One of the arrays held, or <see langword="null"/> if there is none.</summary>
    public byte[]? TryRent()
    {
        int count = Volatile.Read(ref _count);
        if (count <= 0)
        {
            return null;
        }

        // The top of the held arrays first, then below it, then above it (where another thread may just have put one).
        int top = Math.Min(count, _slots.Length) - 1;
        for (int i = top; i >= 0; i--)
        {
            if (Take(i) is { } array)
            {
                return array;
            }
        }

        for (int i = top + 1; i < _slots.Length; i++)
        {
            if (Take(i) is { } array)
            {
                return array;
            }
        }

        return null;
    }

    /// <summary>Keeps <paramref name="array"/> if there is room; <see langword="false"/> if the bucket is full.</summary>
    public bool TryReturn(byte[] array)
    {
        int count = Volatile.Read(ref _count);
        if (count >= _slots.Length)
        {
            return false;
        }

        // Just above the held arrays first, then above that, then below (where another thread may just have taken one).
        int free = Math.Max(count, 0);
        for (int i = free; i < _slots.Length; i++)
        {
            if (Put(i, array))
            {
                return true;
            }
        }

        for (int i = free - 1; i >= 0; i--)
        {
            if (Put(i, array))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Drops every array held; returns how many bytes they were.</summary>
    public long Clear()
    {
        long dropped = 0;
        for (int i = 0; i < _slots.Length; i++)
        {
            if (Take(i) is { } array)
            {
                dropped += array.Length;
            }
        }

        return dropped;
    }

    private byte[]? Take(int slot)
    {
        if (Volatile.Read(ref _slots[slot]) is null)
        {
            return null;
        }

        var array = Interlocked.Exchange(ref _slots[slot], null);
        if (array is not null)
        {
            Interlocked.Decrement(ref _count);
        }

        return array;
    }

    private bool Put(int slot, byte[] array)
    {
        if (Volatile.Read(ref _slots[slot]) is not null || Interlocked.CompareExchange(ref _slots[slot], array, null) is not null)
        {
            return false;
        }

        Interlocked.Increment(ref _count);
        return true;
    }
}
