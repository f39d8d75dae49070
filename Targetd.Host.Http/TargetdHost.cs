using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Targetd.Iscsi;
using Targetd.Iscsi.Targets;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Pools;
using Targetd.Storage.Pools.Images;
using Targetd.Storage.Pools.Rbd;
using Targetd.Hosting;
using Targetd.Storage.Targetd;

namespace Targetd.Host.Http;

/// <summary>Composes targetd: configuration, pools, the iSCSI portals and the HTTP(S) listener.</summary>
internal static partial class TargetdHost
{
    public static async Task<int> RunAsync(TargetdConfig config, string configPath, TextWriter error)
    {
        X509Certificate2? certificate = null;
        if (config.Ssl)
        {
            try
            {
                if ((File.GetUnixFileMode(config.SslKey) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
                {
                    await error.WriteLineAsync($"targetd: ssl_key: '{config.SslKey}' must not be accessible to group or others (chmod 600)").ConfigureAwait(false);
                    return 1;
                }

                certificate = X509Certificate2.CreateFromPemFile(config.SslCert, config.SslKey);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                await error.WriteLineAsync($"targetd: ssl_cert/ssl_key: {ex.Message}").ConfigureAwait(false);
                return 1;
            }
        }

        var pools = new List<IBlockPool>();
        var runner = new Core.Processes.ProcessRunner();
        try
        {
            // targetd-peer §4: each ZFS dataset must exist and be a file system; block and fs datasets are checked apart.
            await Storage.Pools.Zfs.ZfsDatasetCheck.CheckAsync(runner, config.ZfsBlockPools).ConfigureAwait(false);
            await Storage.Pools.Zfs.ZfsDatasetCheck.CheckAsync(runner, [.. config.ZfsFsPools.Values]).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"targetd: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        // pool_list's order is targetd's: ZFS pools before LVM ones, ZFS fs pools before btrfs ones (targetd-peer §7.1).
        pools.AddRange(config.ZfsBlockPools.Select(dataset => new Storage.Pools.Zfs.ZfsBlockPool(dataset, runner, config.ZfsEnableCopy)));
        var fsPools = new List<Storage.Pools.FileSystems.IFsPool>();
        fsPools.AddRange(config.ZfsFsPools.Select(p => new Storage.Pools.Zfs.ZfsFsPool(p.Key, p.Value, runner, config.ZfsEnableCopy)));
        fsPools.AddRange(config.FsPools.Select(path => new Storage.Pools.FileSystems.BtrfsFsPool(path, runner)));
        fsPools.AddRange(config.DirFsPools.Select(path => new Storage.Pools.FileSystems.DirectoryFsPool(path, runner)));
        foreach (var pool in fsPools)
        {
            try
            {
                await pool.InitializeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is Core.Errors.TargetdException or Storage.Errors.StorageException or IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"targetd: fs pool {pool.Name}: {ex.Message}").ConfigureAwait(false);
                return 1;
            }
        }

        var nfs = new Storage.Nfs.NfsExportService(runner, new Storage.Nfs.ExportsFile(config.NfsExportsFile), config.AllowChown);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders().AddDaemonConsole(config.LogFormat).SetMinimumLevel(LogLevelOf(config.LogLevel)).AddFilter("Microsoft", LogLevel.Warning);
        using var startupLogging = LoggerFactory.Create(logging => logging.AddDaemonConsole(config.LogFormat).SetMinimumLevel(LogLevelOf(config.LogLevel)));
        foreach (var (name, folder) in config.ImagePools)
        {
            pools.Add(new ImageDirectoryPool(name, folder, startupLogging.CreateLogger<ImageDirectoryPool>()) { BackingRoots = config.BackingRoots });
        }

        foreach (string name in config.BlockPools)
        {
            pools.Add(new Storage.Pools.Lvm.LvmBlockPool(name, runner, startupLogging.CreateLogger<Storage.Pools.Lvm.LvmBlockPool>()));
        }

        await AddRbdPoolsAsync(config, pools, startupLogging).ConfigureAwait(false);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = TargetRpcEndpoint.MaxBodyBytes;
            kestrel.Listen(config.ListenAddress, config.Port, listen =>
            {
                if (certificate is not null)
                {
                    listen.UseHttps(certificate, https => https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13);
                }
            });
        });

        var registry = new IscsiTargetRegistry { Limits = config.IscsiLimits };
        var targetPort = new IscsiTargetPort(registry, config.StateFile is null ? null : Path.Combine(Path.GetDirectoryName(config.StateFile)!, "reservations")) { PortGroups = config.PortGroups };
        TargetdService service;
        try
        {
            service = await TargetdService.StartAsync(new TargetdServiceOptions
            {
                TargetName = config.TargetName,
                TargetPort = targetPort,
                BlockPools = pools,
                FsPools = fsPools,
                Nfs = nfs,
                StateFile = config.StateFile,
                LoggerFactory = startupLogging,
            }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            await error.WriteLineAsync($"targetd: state_file: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        await using var serviceLifetime = service.ConfigureAwait(false);
        var processor = service.Processor;
        builder.Services.AddSingleton(processor);
        builder.Services.AddSingleton(new BasicCredentials(config.User, config.Password));
        builder.Services.AddSingleton(new FailedLoginThrottle(TimeSpan.FromSeconds(2)));
        builder.Services.AddSingleton<TargetRpcEndpoint>();
        await using var app = builder.Build();
        using var reload = new PortGroupsReload(configPath, targetPort, app.Logger);
        try
        {
            foreach (string failure in await nfs.RestoreAsync().ConfigureAwait(false))
            {
                LogNfsExportNotRestored(app.Logger, failure);
            }
        }
        catch (Exception ex) when (ex is Core.Errors.TargetdException or Storage.Errors.StorageException or IOException or UnauthorizedAccessException)
        {
            LogNfsExportNotRestored(app.Logger, $"{config.NfsExportsFile}: {ex.Message}");
        }

        var endpoint = app.Services.GetRequiredService<TargetRpcEndpoint>();
        app.Run(endpoint.HandleAsync);

        var portals = new List<IscsiPortal>();
        var capacity = new Storage.Operations.PoolCapacity(pools, fsPools);
        Hosting.MetricsExporter? metrics = null;
        try
        {
            if (config.MetricsAddress is { } metricsAddress)
            {
                metrics = Hosting.MetricsExporter.Start(metricsAddress, capacity.RefreshAsync);
                LogMetrics(app.Logger, metricsAddress);
            }

            foreach (var address in config.PortalAddresses)
            {
                var portal = new IscsiPortal(registry, address, app.Services.GetRequiredService<ILoggerFactory>()) { Timeouts = config.IscsiTimeouts };
                await portal.StartAsync().ConfigureAwait(false);
                portals.Add(portal);
            }

            await app.StartAsync().ConfigureAwait(false);
            LogStarted(app.Logger, certificate is not null, config.ListenAddress, config.Port);
            await app.WaitForShutdownAsync().ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await error.WriteLineAsync($"targetd: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        finally
        {
            metrics?.Dispose();
            capacity.Stop();
            foreach (var portal in portals)
            {
                await portal.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var pool in pools.OfType<IDisposable>())
            {
                pool.Dispose();
            }

            certificate?.Dispose();
        }

        return 0;
    }

    /// <summary>
    /// Connects every RBD pool at once. A pool whose libraries are missing or whose cluster cannot be reached
    /// is logged and stays listed as unavailable; the others serve as usual.
    /// </summary>
    private static async Task AddRbdPoolsAsync(TargetdConfig config, List<IBlockPool> pools, ILoggerFactory loggerFactory)
    {
        var rbdPools = config.RbdPools.Select(p => new RbdBlockPool(p.Key, p.Value, loggerFactory.CreateLogger<RbdBlockPool>())).ToList();
        pools.AddRange(rbdPools);
        await Task.WhenAll(rbdPools.Select(p => p.ConnectAsync())).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "started server (TLS {Tls}) on {Address}:{Port}")]
    private static partial void LogStarted(ILogger logger, bool tls, System.Net.IPAddress address, int port);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "serving Prometheus metrics on http://{Address}/metrics")]
    private static partial void LogMetrics(ILogger logger, System.Net.IPEndPoint address);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "NFS export not made again at start: {Failure}")]
    private static partial void LogNfsExportNotRestored(ILogger logger, string failure);

    private static LogLevel LogLevelOf(string level) => level.ToUpperInvariant() switch
    {
        "DEBUG" => LogLevel.Debug,
        "WARNING" or "WARN" => LogLevel.Warning,
        "ERROR" => LogLevel.Error,
        "CRITICAL" => LogLevel.Critical,
        _ => LogLevel.Information,
    };
}
