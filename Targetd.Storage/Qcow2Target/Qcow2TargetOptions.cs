namespace Targetd.Storage.Qcow2Target;

/// <summary>Where the qcow2target service finds disks and keeps its state.</summary>
public sealed record Qcow2TargetOptions
{
    /// <summary>The folder every attached disk must lie in.</summary>
    public required string DisksRoot { get; init; }

    /// <summary>The state file; null keeps state in memory only.</summary>
    public string? StateFile { get; init; }

    /// <summary>
    /// Folders besides the disks root that backing files and external data files may lie in (after <c>..</c> and
    /// symbolic links are resolved). Default: none, every file of a chain must lie in the disks root.
    /// </summary>
    public IReadOnlyList<string> BackingRoots { get; init; } = [];
}
