namespace Targetd.Tests.Storage.Rbd;

/// <summary>An image of <see cref="FakeRados"/>: bytes, 512-byte allocation, snapshots, and the snapshot it was cloned from.</summary>
internal sealed class FakeImage(string name, string id, long size)
{
    public const int Sector = 512;

    public string Name { get; } = name;

    public string Id { get; } = id;

    public byte[] Data { get; private set; } = new byte[size];

    public bool[] Allocated { get; private set; } = new bool[(size + Sector - 1) / Sector];

    public long Size => Data.Length;

    public Dictionary<string, byte[]> Snapshots { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Protected { get; } = new(StringComparer.Ordinal);

    /// <summary>The parent snapshot's data while the image is an unflattened clone.</summary>
    public byte[]? Parent { get; set; }

    public void Resize(long size)
    {
        var data = Data;
        var allocated = Allocated;
        Array.Resize(ref data, checked((int)size));
        Array.Resize(ref allocated, (int)((size + Sector - 1) / Sector));
        Data = data;
        Allocated = allocated;
    }

    public void Write(long offset, ReadOnlySpan<byte> source)
    {
        lock (this)
        {
            source.CopyTo(Data.AsSpan((int)offset));
            Mark(offset, source.Length, true);
        }
    }

    /// <summary>Compares and writes under the image's lock: -1 when written, else the image offset of the first difference.</summary>
    public long CompareAndWrite(long offset, ReadOnlySpan<byte> compare, ReadOnlySpan<byte> source)
    {
        lock (this)
        {
            int same = Data.AsSpan((int)offset, compare.Length).CommonPrefixLength(compare);
            if (same < compare.Length)
            {
                return offset + same;
            }

            Write(offset, source);
            return -1;
        }
    }

    public void Zero(long offset, long length)
    {
        lock (this)
        {
            Data.AsSpan((int)offset, (int)length).Clear();
            Mark(offset, length, false);
        }
    }

    public void Read(long offset, Span<byte> destination)
    {
        lock (this)
        {
            Data.AsSpan((int)offset, destination.Length).CopyTo(destination);
        }
    }

    public void Flatten()
    {
        if (Parent is { } parent)
        {
            parent.AsSpan(0, Math.Min(parent.Length, Data.Length)).CopyTo(Data);
            Mark(0, Math.Min(parent.Length, Data.Length), true);
            Parent = null;
        }
    }

    private void Mark(long offset, long length, bool allocated)
    {
        // Allocation follows whole sectors written; a partial sector stays as it was, as with objects.
        long first = allocated ? offset / Sector : (offset + Sector - 1) / Sector;
        long end = allocated ? (offset + length + Sector - 1) / Sector : (offset + length) / Sector;
        for (long s = first; s < end; s++)
        {
            Allocated[s] = allocated;
        }
    }
}
