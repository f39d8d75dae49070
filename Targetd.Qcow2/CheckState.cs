using System.Globalization;
using Targetd.Qcow2.Format;

namespace Targetd.Qcow2;

/// <summary>The reference counts a check computes from the image's metadata, with its findings.</summary>
internal sealed class CheckState(long clusters, int clusterBits)
{
    private readonly uint[] _expected = new uint[Math.Max(clusters, 1)];

    public long Length => _expected.Length;

    public int Corruptions { get; private set; }

    public int UnfixableCorruptions { get; private set; }

    /// <summary>Guest clusters the active layer maps to host data (qemu-img check's "allocated-clusters").</summary>
    public long AllocatedClusters { get; private set; }

    /// <summary>Active clusters not placed right after the one before them in the same L2 table, and every compressed one.</summary>
    public long FragmentedClusters { get; private set; }

    /// <summary>Compressed clusters of the active layer.</summary>
    public long CompressedClusters { get; private set; }

    public List<string> Messages { get; } = [];

    public ulong Expected(long cluster) => cluster >= 0 && cluster < _expected.Length ? _expected[cluster] : 0;

    /// <summary>
    /// Counts <paramref name="times"/> references to every cluster of a byte range (saturating, as no refcount width
    /// holds more); false (and a corruption) if it lies outside the file.
    /// </summary>
    public bool Reference(long offset, long length, string what, int times = 1)
    {
        if (length <= 0)
        {
            return true;
        }

        long first = offset >> clusterBits;
        long last = (offset + length - 1) >> clusterBits;
        if (offset < 0 || last >= _expected.Length)
        {
            Corruption(string.Create(CultureInfo.InvariantCulture, $"ERROR {what} at offset 0x{offset:x} lies past the end of the image file"));
            UnfixableCorruptions++;
            return false;
        }

        for (long c = first; c <= last; c++)
        {
            _expected[c] = (uint)Math.Min(uint.MaxValue, _expected[c] + (ulong)times);
        }

        return true;
    }

    /// <summary>
    /// Counts one entry of an active L2 table as qemu-img check counts it (block/qcow2-refcount.c,
    /// check_refcounts_l2 with CHECK_FRAG_INFO): a compressed cluster is allocated, compressed and fragmented; a
    /// cluster with host data (NORMAL or ZERO_ALLOC) is allocated, and fragmented unless its host offset is the end of
    /// the previous such cluster in the same table. Unallocated and plain zero clusters count for nothing, so an
    /// overlay counts only what it holds itself, not its backing file. Returns the next contiguous host offset.
    /// </summary>
    /// <param name="entry">The entry.</param>
    /// <param name="hasData">Whether the entry maps host data (a standard cluster of type NORMAL or ZERO_ALLOC).</param>
    /// <param name="nextContiguous">Where the previous data cluster of this table ended; 0 for none yet.</param>
    public long CountActive(L2Entry entry, bool hasData, long nextContiguous)
    {
        if (entry.IsCompressed)
        {
            // "Compressed clusters are fragmented by nature": adjacent ones share sectors that are read again.
            AllocatedClusters++;
            CompressedClusters++;
            FragmentedClusters++;
            return nextContiguous;
        }

        if (!hasData)
        {
            return nextContiguous;
        }

        AllocatedClusters++;
        if (nextContiguous != 0 && entry.HostOffset != nextContiguous)
        {
            FragmentedClusters++;
        }

        return entry.HostOffset + (1L << clusterBits);
    }

    public void Corruption(string message)
    {
        Corruptions++;
        Messages.Add(message);
    }
}
