namespace Targetd.Qcow2.Format;

/// <summary>Geometry derived from the header: sizes of clusters, tables and entries, and index arithmetic.</summary>
internal sealed class Qcow2Layout
{
    public Qcow2Layout(int clusterBits, int refcountOrder, bool extendedL2)
    {
        ClusterBits = clusterBits;
        ClusterSize = 1 << clusterBits;
        ExtendedL2 = extendedL2;
        L2EntrySize = extendedL2 ? 16 : 8;
        L2Entries = ClusterSize / L2EntrySize;
        RefcountOrder = refcountOrder;
        RefcountBits = 1 << refcountOrder;
        RefcountBlockEntries = (int)(ClusterSize * 8L / RefcountBits);
        SubclusterSize = extendedL2 ? ClusterSize / 32 : ClusterSize;
        Subclusters = extendedL2 ? 32 : 1;
    }

    public int ClusterBits { get; }
    public int ClusterSize { get; }
    public bool ExtendedL2 { get; }
    public int L2EntrySize { get; }
    public int L2Entries { get; }
    public int RefcountOrder { get; }
    public int RefcountBits { get; }
    public int RefcountBlockEntries { get; }
    public int SubclusterSize { get; }
    public int Subclusters { get; }

    /// <summary>Largest refcount the width can hold.</summary>
    public ulong MaxRefcount => RefcountBits == 64 ? ulong.MaxValue : (1UL << RefcountBits) - 1;

    public long ClusterOffset(long offset) => offset & ~((long)ClusterSize - 1);

    public int OffsetInCluster(long offset) => (int)(offset & (ClusterSize - 1));

    public long GuestCluster(long offset) => offset >> ClusterBits;

    public int L1Index(long guestCluster) => (int)(guestCluster / L2Entries);

    public int L2Index(long guestCluster) => (int)(guestCluster % L2Entries);

    public long L1EntriesFor(long virtualSize) =>
        (virtualSize + ((long)ClusterSize * L2Entries) - 1) / ((long)ClusterSize * L2Entries);
}
