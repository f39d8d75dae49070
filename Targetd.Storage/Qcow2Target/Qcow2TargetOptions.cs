using Targetd.Core.Exports;

namespace Targetd.Storage.Qcow2Target;

/// <summary>Where the qcow2target service finds disks and keeps its state, and who may log in to its targets.</summary>
public sealed record Qcow2TargetOptions
{
    /// <summary>The folder every attached disk must lie in.</summary>
    public required string DisksRoot { get; init; }

    /// <summary>The state file; null keeps state in memory only.</summary>
    public string? StateFile { get; init; }

    /// <summary>
    /// Who may log in to every target the service creates or restores (the socket API has no say in it); open to any
    /// initiator by default.
    /// </summary>
    public TargetAccess Access { get; init; } = TargetAccess.Open;

    /// <summary>
    /// Folders besides the disks root that backing files and external data files may lie in (after <c>..</c> and
    /// symbolic links are resolved). Default: none, every file of a chain must lie in the disks root.
    /// </summary>
    public IReadOnlyList<string> BackingRoots { get; init; } = [];
}
