namespace Targetd.Host.Http;

/// <summary><c>targetd --check-config</c>: what the loader cannot see from the file alone, and the summary printed.</summary>
internal static class TargetdConfigCheck
{
    /// <summary>The first problem the start would meet after the file was read, naming its key; null when there is none.</summary>
    public static string? Problem(TargetdConfig config)
    {
        if (config.Ssl)
        {
            foreach (var (key, file) in new[] { ("ssl_cert", config.SslCert), ("ssl_key", config.SslKey) })
            {
                if (!File.Exists(file))
                {
                    return $"{key}: '{file}' does not exist";
                }
            }
        }

        if (config.StateFile is { } state && !Directory.Exists(Path.GetDirectoryName(state)))
        {
            return $"state_file: the folder of '{state}' does not exist";
        }

        return null;
    }

    public static string Summary(string path, TargetdConfig config) => string.Join('\n',
        $"{path}: configuration OK",
        $"api: {(config.Ssl ? "https" : "http")}://{config.ListenAddress}:{config.Port}/targetrpc, user {config.User}",
        $"target_name: {config.TargetName}",
        $"portal_addresses: {string.Join(", ", config.PortalAddresses)}",
        $"iscsi limits: {config.IscsiLimits.Describe()}",
        $"target_port_group: {config.PortGroups.LocalGroup}, target_port_groups: {string.Join(", ", config.PortGroups.SharedGroups)}, alua_optimized: {(config.PortGroups.Rule == Iscsi.Scsi.AluaOptimizedRule.First ? "first" : "spread")}",
        $"block pools: {Names(config.ZfsBlockPools.Concat(config.BlockPools).Concat(config.ImagePools.Keys).Concat(config.RbdPools.Keys))}{(config.ZfsBlockPools.Count > 0 || config.ZfsFsPools.Count > 0 ? $" (zfs_enable_copy: {(config.ZfsEnableCopy ? "true" : "false")})" : string.Empty)}",
        $"backing_roots: {(config.BackingRoots.Count == 0 ? "(none: image chains stay in their pool's folder)" : string.Join(", ", config.BackingRoots))}",
        $"fs pools: {Names(config.ZfsFsPools.Select(p => $"{p.Key} (zfs {p.Value})").Concat(config.FsPools).Concat(config.DirFsPools))}",
        $"state_file: {config.StateFile ?? "(none)"}",
        $"metrics_address: {(config.MetricsAddress is null ? "(off)" : config.MetricsAddress.ToString())}",
        $"log_level: {config.LogLevel}, log_format: {config.LogFormat}");

    private static string Names(IEnumerable<string> names) => names.Any() ? string.Join(", ", names) : "(none)";
}
