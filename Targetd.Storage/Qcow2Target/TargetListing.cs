namespace Targetd.Storage.Qcow2Target;

/// <summary>A target as LIST reports it.</summary>
/// <param name="Name">The iSCSI target name.</param>
/// <param name="Id">The target id.</param>
/// <param name="LogicalUnits">The attached disks by LUN, in LUN order, the failed ones included.</param>
/// <param name="Nexuses">The I_T nexuses logged in.</param>
public sealed record TargetListing(string Name, int Id, IReadOnlyList<(int Lun, string Path)> LogicalUnits, IReadOnlyList<string> Nexuses)
{
    /// <summary>Whether an initiator is logged in.</summary>
    public bool HasConnections => Nexuses.Count > 0;

    /// <summary>
    /// The LUNs whose disk failed to open when the state file was restored, with the error: they are not served, and
    /// keep their LUN until they are detached.
    /// </summary>
    public IReadOnlyDictionary<int, string> Failures { get; init; } = new Dictionary<int, string>();
}
