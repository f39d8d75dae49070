namespace Targetd.Qcow2;

/// <summary>What <see cref="Qcow2Image.CheckAsync"/> found (and fixed), counted as <c>qemu-img check</c> counts.</summary>
public sealed record Qcow2CheckResult
{
    /// <summary>Clusters referenced more often than their refcount says, and other metadata errors.</summary>
    public int Corruptions { get; init; }

    /// <summary>Clusters whose refcount is higher than their references.</summary>
    public int Leaks { get; init; }

    /// <summary>Corruptions repaired.</summary>
    public int CorruptionsFixed { get; init; }

    /// <summary>Leaks repaired.</summary>
    public int LeaksFixed { get; init; }

    /// <summary>
    /// Guest clusters the active layer maps to data in this image: standard clusters with a host offset (also
    /// those that read as zero) and compressed clusters. Snapshots, metadata and a backing file's clusters are not
    /// counted (qemu-img check's <c>allocated-clusters</c>).
    /// </summary>
    public long AllocatedClusters { get; init; }

    /// <summary>
    /// Allocated clusters whose host offset does not follow the previous allocated cluster's of the same L2 table,
    /// and all compressed clusters (qemu-img check's <c>fragmented-clusters</c>).
    /// </summary>
    public long FragmentedClusters { get; init; }

    /// <summary>Compressed clusters of the active layer (qemu-img check's <c>compressed-clusters</c>).</summary>
    public long CompressedClusters { get; init; }

    /// <summary>Guest clusters of the virtual disk: its size in clusters, rounded up.</summary>
    public long TotalClusters { get; init; }

    /// <summary>End of the last cluster in use in the image file.</summary>
    public long ImageEndOffset { get; init; }

    /// <summary>Human-readable findings, one per problem.</summary>
    public IReadOnlyList<string> Messages { get; init; } = [];

    /// <summary>The exit status of <c>qemu-img check</c>: 0 clean, 2 corruptions, 3 leaks only.</summary>
    public int ExitCode => Corruptions - CorruptionsFixed > 0 ? 2 : Leaks - LeaksFixed > 0 ? 3 : 0;
}
