using Microsoft.Extensions.Logging;
using Targetd.Core.Exports;
using Targetd.Storage.Nfs;
using Targetd.Storage.Pools;
using Targetd.Storage.Pools.FileSystems;

namespace Targetd.Storage.Targetd;

/// <summary>What targetd's API serves: its pools, the iSCSI target its exports go to, and where its state is kept.</summary>
public sealed class TargetdServiceOptions
{
    /// <summary>The iSCSI name of the one target every export is a LUN of (targetd's <c>target_name</c>).</summary>
    public required string TargetName { get; init; }

    /// <summary>The iSCSI target the exports are applied to (our own target, or any other behind the port).</summary>
    public required IIscsiTargetPort TargetPort { get; init; }

    /// <summary>Block pools (<c>pool_list</c>, <c>vol_*</c>, exports), by their unique names.</summary>
    public IReadOnlyList<IBlockPool> BlockPools { get; init; } = [];

    /// <summary>File-system pools (<c>fs_*</c>), initialized by the caller.</summary>
    public IReadOnlyList<IFsPool> FsPools { get; init; } = [];

    /// <summary>NFS exports (<c>nfs_export_*</c>), or null for none.</summary>
    public NfsExportService? Nfs { get; init; }

    /// <summary>The export state file (initiators, CHAP, access groups, mappings), or null to keep it in memory.</summary>
    public string? StateFile { get; init; }

    /// <summary>Where the exports log, and the audit log of every call; null for none.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
