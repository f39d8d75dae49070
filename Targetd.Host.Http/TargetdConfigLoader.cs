using System.Globalization;
using System.Net;
using YamlDotNet.RepresentationModel;

namespace Targetd.Host.Http;

/// <summary>Reads targetd.yaml; a bad value stops the start with a message naming its key.</summary>
internal static class TargetdConfigLoader
{
    public const string DefaultPath = "/etc/target/targetd.yaml";

    /// <exception cref="ArgumentException">The file is unreadable or a key has a bad value.</exception>
    public static TargetdConfig Load(string path, string? passwordFromEnvironment)
    {
        YamlMappingNode root;
        try
        {
            using var reader = new StringReader(File.ReadAllText(path));
            var stream = new YamlStream();
            stream.Load(reader);
            root = stream.Documents.Count == 0 ? [] : stream.Documents[0].RootNode as YamlMappingNode ?? [];
        }
        // YamlDotNet's scanner throws InvalidOperationException on some malformed input rather than a YamlException.
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or YamlDotNet.Core.YamlException or InvalidOperationException)
        {
            throw new ArgumentException($"cannot read {path}: {ex.Message}", ex);
        }

        string baseFolder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var values = root.Children.ToDictionary(c => KeyOf(c.Key), c => c.Value, StringComparer.Ordinal);
        string? password = passwordFromEnvironment is { Length: > 0 } ? passwordFromEnvironment : Scalar(values, "password");
        if (string.IsNullOrEmpty(password) || (values.TryGetValue("password", out var passwordNode) && passwordFromEnvironment is not { Length: > 0 } && passwordNode is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } plain && long.TryParse(plain.Value, out _)))
        {
            throw new ArgumentException($"password: not set in {path} in the form 'password: string_pw' (or in TARGETD_PASSWORD)");
        }

        var zfsBlockPools = List(values, "zfs_block_pools").Distinct(StringComparer.Ordinal).ToList();
        try
        {
            Storage.Pools.Zfs.ZfsNames.CheckConfigured(zfsBlockPools);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"zfs_block_pools: {ex.Message}", ex);
        }

        var imagePools = new Dictionary<string, string>(StringComparer.Ordinal);
        if (values.TryGetValue("image_pools", out var poolsNode))
        {
            if (poolsNode is not YamlMappingNode map)
            {
                throw new ArgumentException("image_pools: must be a map from pool name to folder");
            }

            foreach (var (key, value) in map.Children)
            {
                string name = KeyOf(key);
                if (!Core.Names.ResourceName.IsValid(name))
                {
                    throw new ArgumentException($"image_pools: pool name '{name}' must match [a-zA-Z0-9_-]+ (no '/')");
                }

                string folder = Path.GetFullPath((value as YamlScalarNode)?.Value ?? throw new ArgumentException($"image_pools: folder of '{name}' must be a string"), baseFolder);
                if (!Directory.Exists(folder))
                {
                    throw new ArgumentException($"image_pools: folder '{folder}' of pool '{name}' does not exist");
                }

                imagePools[name] = folder;
            }
        }

        var backingRoots = List(values, "backing_roots").Select(r => Path.GetFullPath(r, baseFolder)).ToList();
        if (backingRoots.FirstOrDefault(r => !Directory.Exists(r)) is { } missingRoot)
        {
            throw new ArgumentException($"backing_roots: folder '{missingRoot}' does not exist");
        }

        var fsPoolEntries = List(values, "fs_pools").Select(FsPoolPath).ToList();
        var dirFsPools = List(values, "dir_fs_pools").Select(p => FolderPoolPath(p, baseFolder)).ToList();
        if (fsPoolEntries.Select(e => e.Path).Concat(dirFsPools).GroupBy(p => p, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new ArgumentException($"fs_pools/dir_fs_pools: '{twice.Key}' is configured twice");
        }

        var fsPools = fsPoolEntries.Where(e => e.Dataset is null).Select(e => e.Path).ToList();
        var zfsFsPools = fsPoolEntries.Where(e => e.Dataset is not null).ToDictionary(e => e.Path, e => e.Dataset!, StringComparer.Ordinal);
        try
        {
            Storage.Pools.Zfs.ZfsNames.CheckConfigured(zfsFsPools.Values);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"fs_pools: {ex.Message}", ex);
        }

        var rbdPools = RbdPools(values, baseFolder);
        var blockPools = List(values, "block_pools");
        foreach (string name in rbdPools.Keys.Where(n => imagePools.ContainsKey(n) || blockPools.Contains(n) || zfsBlockPools.Contains(n)))
        {
            throw new ArgumentException($"rbd_pools: pool name '{name}' is also an image, LVM or ZFS pool");
        }

        // targetd-peer §4: "block_pools ∩ zfs_block_pools non-empty → -1 'Conflicting names in zfs_block_pools and block_pools in config.'"
        if (zfsBlockPools.Any(n => blockPools.Contains(n) || imagePools.ContainsKey(n)))
        {
            throw new ArgumentException("zfs_block_pools: Conflicting names in zfs_block_pools and block_pools in config.");
        }

        var config = new TargetdConfig { Password = password };
        return config with
        {
            User = Scalar(values, "user") ?? config.User,
            BlockPools = blockPools,
            ZfsBlockPools = zfsBlockPools,
            ZfsEnableCopy = Bool(values, "zfs_enable_copy") ?? false,
            ZfsFsPools = zfsFsPools,
            ImagePools = imagePools,
            BackingRoots = backingRoots,
            RbdPools = rbdPools,
            TargetName = Scalar(values, "target_name") ?? config.TargetName,
            PortalAddresses = values.ContainsKey("portal_addresses") ? [.. List(values, "portal_addresses").Select(Portal)] : config.PortalAddresses,
            IscsiTimeouts = new(
                Seconds(values, "login_timeout") ?? config.IscsiTimeouts.Login,
                Seconds(values, "nopin_timeout") ?? config.IscsiTimeouts.NopInInterval,
                Seconds(values, "nopin_response_timeout") ?? config.IscsiTimeouts.NopInResponse),
            IscsiLimits = Limits(values),
            PortGroups = PortGroups(values),
            LogLevel = Scalar(values, "log_level") ?? config.LogLevel,
            Ssl = Bool(values, "ssl") ?? false,
            SslCert = Path.GetFullPath(Scalar(values, "ssl_cert") ?? config.SslCert, baseFolder),
            SslKey = Path.GetFullPath(Scalar(values, "ssl_key") ?? config.SslKey, baseFolder),
            AllowChown = Bool(values, "allow_chown") ?? false,
            ListenAddress = Scalar(values, "listen_address") is { } address
                ? IPAddress.TryParse(address, out var ip) ? ip : throw new ArgumentException($"listen_address: '{address}' is not an IP address")
                : config.ListenAddress,
            Port = Scalar(values, "port") is { } port
                ? int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p is > 0 and < 65536 ? p : throw new ArgumentException($"port: '{port}' is not a TCP port")
                : config.Port,
            FsPools = fsPools,
            DirFsPools = dirFsPools,
            NfsExportsFile = Scalar(values, "nfs_exports_file") is { } exportsFile ? Path.GetFullPath(exportsFile, baseFolder) : config.NfsExportsFile,
            StateFile = Scalar(values, "state_file") is { } state ? Path.GetFullPath(state, baseFolder) : config.StateFile,
            MetricsAddress = Scalar(values, "metrics_address") is { Length: > 0 } metrics
                ? IPEndPoint.TryParse(metrics, out var metricsEndPoint) && metricsEndPoint.Port != 0 ? metricsEndPoint : throw new ArgumentException($"metrics_address: '{metrics}' is not ADDRESS:PORT")
                : null,
            LogFormat = Scalar(values, "log_format") is { } format ? Hosting.ConsoleLogging.ParseFormat(format) : config.LogFormat,
        };
    }

    /// <summary>
    /// An <c>fs_pools</c> entry: as targetd, an absolute path that must exist (targetd-peer §4: "each path must exist";
    /// "a mount point with fstype other than btrfs/zfs → -153"), with the dataset mounted there when it is a ZFS mount
    /// point, or null for a folder on btrfs.
    /// </summary>
    private static (string Path, string? Dataset) FsPoolPath(string path)
    {
        if (!Path.IsPathFullyQualified(path))
        {
            throw new ArgumentException($"fs_pools: '{path}' must be an absolute path (the pool is named by it)");
        }

        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (!Directory.Exists(full))
        {
            throw new ArgumentException($"fs_pools: the fs_pool {full} does not exist");
        }

        if (MountTable.Find(full) is { Type: "zfs" } zfs)
        {
            return (full, zfs.Device);
        }

        string format = new DriveInfo(full).DriveFormat;
        return format switch
        {
            "btrfs" => (full, null),
            "zfs" => throw new ArgumentException($"fs_pools: {full} is on zfs but is not the mount point of a dataset"),
            _ => throw new ArgumentException($"fs_pools: {full} is on {format}, not btrfs or zfs (use dir_fs_pools for a plain folder)"),
        };
    }

    private static string FolderPoolPath(string path, string baseFolder)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path, baseFolder));
        return Directory.Exists(full) ? full : throw new ArgumentException($"dir_fs_pools: folder '{full}' does not exist");
    }

    /// <summary>
    /// rbd_pools: pool name → <c>ceph_pool</c> (default: the name), <c>ceph_conf</c> (default
    /// /etc/ceph/ceph.conf, relative to this file) and <c>client_id</c> (default admin).
    /// </summary>
    private static Dictionary<string, Storage.Pools.Rbd.RbdPoolOptions> RbdPools(Dictionary<string, YamlNode> values, string baseFolder)
    {
        var pools = new Dictionary<string, Storage.Pools.Rbd.RbdPoolOptions>(StringComparer.Ordinal);
        if (!values.TryGetValue("rbd_pools", out var node))
        {
            return pools;
        }

        if (node is not YamlMappingNode map)
        {
            throw new ArgumentException("rbd_pools: must be a map from pool name to {ceph_pool, ceph_conf, client_id}");
        }

        foreach (var (key, value) in map.Children)
        {
            string name = KeyOf(key);
            if (!Core.Names.ResourceName.IsValid(name))
            {
                throw new ArgumentException($"rbd_pools: pool name '{name}' must match [a-zA-Z0-9_-]+ (no '/')");
            }

            var settings = value switch
            {
                YamlMappingNode m => m.Children.ToDictionary(c => KeyOf(c.Key), c => c.Value, StringComparer.Ordinal),
                YamlScalarNode { Value: null or "" } => [],
                _ => throw new ArgumentException($"rbd_pools: '{name}' must be a map with ceph_pool, ceph_conf and client_id"),
            };
            foreach (string unknown in settings.Keys.Where(k => k is not ("ceph_pool" or "ceph_conf" or "client_id")))
            {
                throw new ArgumentException($"rbd_pools: '{name}' has an unknown key '{unknown}' (ceph_pool, ceph_conf, client_id)");
            }

            string cephPool = Scalar(settings, "ceph_pool") ?? name;
            string clientId = Scalar(settings, "client_id") ?? "admin";
            if (cephPool.Length == 0 || cephPool.Contains('/', StringComparison.Ordinal) || clientId.Length == 0 || clientId.Contains('/', StringComparison.Ordinal))
            {
                throw new ArgumentException($"rbd_pools: '{name}': ceph_pool and client_id must be non-empty names without '/'");
            }

            string conf = Path.GetFullPath(Scalar(settings, "ceph_conf") ?? "/etc/ceph/ceph.conf", baseFolder);
            pools[name] = new Storage.Pools.Rbd.RbdPoolOptions(cephPool, conf, clientId);
        }

        return pools;
    }

    /// <summary>The iSCSI limits (<see cref="Iscsi.IscsiLimits.SettingKeys"/>) the file sets, the defaults for the others.</summary>
    private static Iscsi.IscsiLimits Limits(Dictionary<string, YamlNode> values)
    {
        var limits = Iscsi.IscsiLimits.Default;
        foreach (string key in Iscsi.IscsiLimits.SettingKeys)
        {
            if (Scalar(values, key) is { } value)
            {
                limits = limits.WithSetting(key, value);
            }
        }

        return limits;
    }

    /// <summary>
    /// <c>target_port_group</c> (1–65535, default 1), <c>target_port_groups</c> (default: the one group; must list it,
    /// each once) and <c>alua_optimized</c> (<c>first</c> or <c>spread</c>, default <c>spread</c>).
    /// </summary>
    private static Iscsi.Scsi.TargetPortGroupSettings PortGroups(Dictionary<string, YamlNode> values)
    {
        var defaults = Iscsi.Scsi.TargetPortGroupSettings.Default;
        ushort local = Scalar(values, "target_port_group") is { } value ? GroupId("target_port_group", value) : defaults.LocalGroup;
        List<ushort> groups = values.ContainsKey("target_port_groups") ? [.. List(values, "target_port_groups").Select(g => GroupId("target_port_groups", g))] : [local];
        if (groups.GroupBy(g => g).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new ArgumentException($"target_port_groups: group {twice.Key} is listed twice");
        }

        if (!groups.Contains(local))
        {
            throw new ArgumentException($"target_port_groups: must list this gateway's target_port_group {local}");
        }

        var rule = Scalar(values, "alua_optimized") switch
        {
            null => defaults.Rule,
            "first" => Iscsi.Scsi.AluaOptimizedRule.First,
            "spread" => Iscsi.Scsi.AluaOptimizedRule.Spread,
            var other => throw new ArgumentException($"alua_optimized: '{other}' is not first or spread"),
        };
        return new(local, groups, rule);
    }

    private static ushort GroupId(string key, string value) =>
        ushort.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ushort id) && id > 0
            ? id
            : throw new ArgumentException($"{key}: '{value}' is not a target port group id (1 to 65535)");

    private static TimeSpan? Seconds(Dictionary<string, YamlNode> values, string key) =>
        Scalar(values, key) is { } value ? Iscsi.ConnectionTimeouts.ParseSeconds(key, value) : null;

    private static string? Scalar(Dictionary<string, YamlNode> values, string key) =>
        values.TryGetValue(key, out var node)
            ? node is YamlScalarNode scalar ? scalar.Value : throw new ArgumentException($"{key}: must be a single value")
            : null;

    private static bool? Bool(Dictionary<string, YamlNode> values, string key) =>
        Scalar(values, key) switch
        {
            null => null,
            "true" or "True" or "yes" or "on" => true,
            "false" or "False" or "no" or "off" => false,
            var other => throw new ArgumentException($"{key}: '{other}' is not true or false"),
        };

    private static List<string> List(Dictionary<string, YamlNode> values, string key) =>
        !values.TryGetValue(key, out var node) ? []
        : node is YamlSequenceNode sequence ? [.. sequence.Children.Select(c => (c as YamlScalarNode)?.Value ?? throw new ArgumentException($"{key}: entries must be strings"))]
        : throw new ArgumentException($"{key}: must be a list");

    private static IPEndPoint Portal(string value)
    {
        if (IPAddress.TryParse(value, out var address))
        {
            return new IPEndPoint(address, 3260);
        }

        return IPEndPoint.TryParse(value, out var endPoint) && endPoint.Port != 0
            ? endPoint
            : throw new ArgumentException($"portal_addresses: '{value}' is not an address or ADDRESS:PORT");
    }

    /// <summary>A mapping key, which must be a scalar (a sequence or mapping as a key is refused).</summary>
    private static string KeyOf(YamlNode key) =>
        key is YamlScalarNode scalar ? scalar.Value ?? string.Empty : throw new ArgumentException($"a key at line {key.Start.Line} is not a plain string");
}
