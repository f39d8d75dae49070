using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Targetd.Hosting;
using Targetd.Iscsi;
using Targetd.Iscsi.Targets;
using Targetd.Storage.Qcow2Target;

namespace Targetd.Host.Socket;

/// <summary><c>qcow2target serve</c>: the iSCSI portal, the qcow2target service and its control socket, until SIGTERM or SIGINT.</summary>
internal static partial class Daemon
{
    public static async Task<int> RunAsync(DaemonOptions options, TextWriter error)
    {
        using var loggerFactory = LoggerFactory.Create(logging => logging
            .SetMinimumLevel(options.LogLevel)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddDaemonConsole(options.LogFormat));
        var logger = loggerFactory.CreateLogger("qcow2target");
        using var stop = new CancellationTokenSource();
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

        if (IsExposed(options))
        {
            LogOpenPortal(logger, options.Portal);
        }

        var registry = new IscsiTargetRegistry { Limits = options.Limits };
        await using var portal = new IscsiPortal(registry, options.Portal, loggerFactory) { Timeouts = options.Timeouts };
        try
        {
            await portal.StartAsync(stop.Token).ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            await error.WriteLineAsync($"qcow2target: cannot listen on portal {options.Portal}: {ex.Message} (--portal)").ConfigureAwait(false);
            return 1;
        }

        await using var service = new Qcow2TargetService(
            new Qcow2TargetOptions { DisksRoot = options.DisksRoot, StateFile = options.StateFile, Access = options.Access.ToTargetAccess(), BackingRoots = options.BackingRoots },
            new IscsiTargetPort(registry, options.StateFile is null ? null : Path.Combine(Path.GetDirectoryName(options.StateFile)!, "reservations")),
            loggerFactory.CreateLogger<Qcow2TargetService>());
        await service.RestoreAsync(stop.Token).ConfigureAwait(false);

        ControlSocketListener listener;
        try
        {
            listener = ControlSocketListener.Start(options.SocketPath, options.SocketGroup, new Qcow2TargetProtocol(service, loggerFactory.CreateLogger("qcow2target.audit")), loggerFactory.CreateLogger<ControlSocketListener>());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
        {
            await error.WriteLineAsync($"qcow2target: cannot create the control socket: {ex.Message} (--socket)").ConfigureAwait(false);
            return 1;
        }

        MetricsExporter? metrics = null;
        if (options.MetricsAddress is { } metricsAddress)
        {
            try
            {
                metrics = MetricsExporter.Start(metricsAddress, null);
                LogMetrics(logger, metricsAddress);
            }
            catch (IOException ex)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
                await error.WriteLineAsync($"qcow2target: {ex.Message} (--metrics-address)").ConfigureAwait(false);
                return 1;
            }
        }

        using var metricsLifetime = metrics;
        await using (listener)
        {
            LogServing(logger, options.SocketPath, portal.LocalEndPoint ?? options.Portal, options.DisksRoot);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                LogStopping(logger);
            }
        }

        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    /// <summary>Whether any host that reaches the portal may log in unauthenticated: a portal off loopback with no access control.</summary>
    internal static bool IsExposed(DaemonOptions options) =>
        options.Access.IsOpen && !System.Net.IPAddress.IsLoopback(options.Portal.Address);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Serving control socket {Socket}, iSCSI portal {Portal}, disks under {DisksRoot}")]
    private static partial void LogServing(ILogger logger, string socket, System.Net.IPEndPoint portal, string disksRoot);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Serving Prometheus metrics on http://{Address}/metrics")]
    private static partial void LogMetrics(ILogger logger, System.Net.IPEndPoint address);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "The iSCSI portal {Portal} is not a loopback address and any initiator may log in to every target without authentication: set allowed_initiators or chap_user and chap_password")]
    private static partial void LogOpenPortal(ILogger logger, System.Net.IPEndPoint portal);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Stopping: closing sessions and images")]
    private static partial void LogStopping(ILogger logger);
}
