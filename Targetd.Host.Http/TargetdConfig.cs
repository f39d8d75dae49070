using System.Net;

namespace Targetd.Host.Http;

/// <summary>
/// targetd.yaml: targetd's keys with their defaults, plus <c>listen_address</c>, <c>port</c>, <c>state_file</c>,
/// <c>image_pools</c>, <c>backing_roots</c>, <c>rbd_pools</c>, <c>dir_fs_pools</c>, <c>nfs_exports_file</c>, <c>metrics_address</c>, <c>log_format</c>, the
/// iSCSI connection timeouts, the iSCSI limits and the target port groups.
/// </summary>
internal sealed record TargetdConfig
{
    public string User { get; init; } = "admin";

    public required string Password { get; init; }

    public IReadOnlyList<string> BlockPools { get; init; } = [];

    /// <summary>ZFS block pools: file system datasets whose child zvols are the volumes (targetd's <c>zfs_block_pools</c>).</summary>
    public IReadOnlyList<string> ZfsBlockPools { get; init; } = [];

    /// <summary>targetd's <c>zfs_enable_copy</c>: <c>vol_copy</c> and <c>fs_clone</c> on ZFS through snapshot and clone.</summary>
    public bool ZfsEnableCopy { get; init; }

    /// <summary>ZFS fs pools: mount point (the pool's name) → the dataset mounted there.</summary>
    public IReadOnlyDictionary<string, string> ZfsFsPools { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> ImagePools { get; init; } = new Dictionary<string, string>();

    /// <summary>Folders besides an image pool's own that backing files and external data files of its volumes may lie in.</summary>
    public IReadOnlyList<string> BackingRoots { get; init; } = [];

    /// <summary>btrfs fs pools: absolute paths of folders on btrfs (mount points, as targetd's <c>fs_pools</c>).</summary>
    public IReadOnlyList<string> FsPools { get; init; } = [];

    /// <summary>Folder fs pools for machines without btrfs: absolute paths.</summary>
    public IReadOnlyList<string> DirFsPools { get; init; } = [];

    /// <summary>Where the exports made by <c>nfs_export_add</c> are kept.</summary>
    public string NfsExportsFile { get; init; } = "/etc/exports.d/targetd.exports";

    public IReadOnlyDictionary<string, Storage.Pools.Rbd.RbdPoolOptions> RbdPools { get; init; } = new Dictionary<string, Storage.Pools.Rbd.RbdPoolOptions>();

    public string TargetName { get; init; } = $"iqn.2003-01.org.linux-iscsi.{Dns.GetHostName().ToLowerInvariant()}:targetd";

    public IReadOnlyList<IPEndPoint> PortalAddresses { get; init; } = [new(IPAddress.Any, 3260)];

    /// <summary>The portals' login timeout and NOP-In keepalive (<c>login_timeout</c>, <c>nopin_timeout</c>, <c>nopin_response_timeout</c>).</summary>
    public Iscsi.ConnectionTimeouts IscsiTimeouts { get; init; } = Iscsi.ConnectionTimeouts.Default;

    /// <summary>
    /// The bounds on iSCSI sessions, connections and the data their commands hold (<c>queue_depth</c>, <c>session_buffer_mib</c>,
    /// <c>buffer_budget_mib</c>, <c>max_sessions_per_target</c>, <c>max_sessions_per_initiator</c>, <c>max_connections_per_portal</c>).
    /// </summary>
    public Iscsi.IscsiLimits IscsiLimits { get; init; } = Iscsi.IscsiLimits.Default;

    /// <summary>
    /// Implicit ALUA across gateways (<c>target_port_group</c>, <c>target_port_groups</c>, <c>alua_optimized</c>): this
    /// gateway's group, every gateway's group serving the RBD volumes, and how each volume's optimized group is chosen.
    /// </summary>
    public Iscsi.Scsi.TargetPortGroupSettings PortGroups { get; init; } = Iscsi.Scsi.TargetPortGroupSettings.Default;

    public string LogLevel { get; init; } = "info";

    public bool Ssl { get; init; }

    public string SslCert { get; init; } = "/etc/target/targetd_cert.pem";

    public string SslKey { get; init; } = "/etc/target/targetd_key.pem";

    public bool AllowChown { get; init; }

    public IPAddress ListenAddress { get; init; } = IPAddress.Any;

    public int Port { get; init; } = 18700;

    public string? StateFile { get; init; } = "/var/lib/targetd/state.json";

    /// <summary>Where Prometheus scrapes <c>/metrics</c> (plain HTTP, no authentication); off when null.</summary>
    public IPEndPoint? MetricsAddress { get; init; }

    /// <summary>The console log's format: <c>text</c> or <c>json</c> (one object per line).</summary>
    public string LogFormat { get; init; } = "text";
}
