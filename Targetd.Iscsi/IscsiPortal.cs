using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Targetd.Iscsi.Server;
using Targetd.Iscsi.Targets;

namespace Targetd.Iscsi;

/// <summary>
/// A network portal (RFC 7143 §4.2.8): a TCP listener that serves the targets of an <see cref="IscsiTargetRegistry"/>
/// on one address and port, with TargetPortalGroupTag 1.
/// </summary>
/// <remarks>
/// A portal runs once: <see cref="StartAsync"/>, then <see cref="StopAsync"/> (or <see cref="DisposeAsync"/>), which
/// is terminal. A stopped portal cannot start again; to serve the registry again, create a new portal on the same
/// address. Session logins and ends are reported by the registry's <see cref="IscsiTargetRegistry.SessionOpened"/>
/// and <see cref="IscsiTargetRegistry.SessionClosed"/> events. The registry's <see cref="IscsiTargetRegistry.Limits"/>
/// bound what the portal serves: its connections (<see cref="IscsiLimits.MaxConnectionsPerPortal"/>), the sessions
/// logged in through it and the commands and data they hold.
/// </remarks>
public sealed class IscsiPortal : IAsyncDisposable
{
    /// <summary>The well-known iSCSI port, IANA "iscsi-target".</summary>
    public const int DefaultPort = 3260;

    private readonly IscsiTargetRegistry _registry;
    private readonly IPEndPoint _endPoint;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<IscsiConnection, Task> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _stopGate = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private Task? _stop;
    private CancellationTokenRegistration _startToken;

    /// <summary>The connections served now, those logging in included.</summary>
    private int _open;

    /// <summary>Connections closed at the limit since the portal last accepted one; only the accept loop touches it.</summary>
    private long _refused;

    /// <summary>Creates a portal; nothing listens until <see cref="StartAsync"/>.</summary>
    /// <param name="registry">The targets served.</param>
    /// <param name="endPoint">The address and port to bind; port 0 picks a free port.</param>
    /// <param name="loggerFactory">Logging, or null for none.</param>
    public IscsiPortal(IscsiTargetRegistry registry, IPEndPoint endPoint, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(endPoint);
        _registry = registry;
        _endPoint = endPoint;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<IscsiPortal>();
    }

    /// <summary>How long silent initiators are waited on: the login timeout and the NOP-In keepalive (LIO's defaults).</summary>
    public ConnectionTimeouts Timeouts { get; init; } = ConnectionTimeouts.Default;

    /// <summary>
    /// How long <see cref="StopAsync"/> lets the commands already received finish before it closes their
    /// connections (aborting what still runs); 10 s unless set. <see cref="TimeSpan.Zero"/> closes at once.
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock the accept loop's pauses are measured on.</summary>
    internal TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The bound address and port, once started.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>The connections being served.</summary>
    internal IEnumerable<IscsiConnection> Connections => _connections.Keys;

    /// <summary>The number of connections being served.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Binds and starts accepting connections.</summary>
    /// <param name="cancellationToken">Stops the portal, as <see cref="StopAsync"/> does, when cancelled.</param>
    /// <exception cref="ObjectDisposedException">The portal was stopped: a portal cannot start again.</exception>
    /// <exception cref="InvalidOperationException">The portal is already started.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        lock (_stopGate)
        {
            ObjectDisposedException.ThrowIf(_stop is not null, this);
            if (_listener is not null)
            {
                throw new InvalidOperationException("The portal is already started.");
            }

            var listener = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                listener.Bind(_endPoint);
                listener.Listen(128);
            }
            catch
            {
                listener.Dispose();
                throw;
            }

            _listener = listener;
            LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
            _registry.AddPortal(LocalEndPoint);
            _logger.PortalStarted(LocalEndPoint);
            _acceptLoop = AcceptLoopAsync(listener, _stopping.Token);
        }

        _startToken = cancellationToken.Register(() => _ = StopAsync());
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops the portal gracefully, for good: it stops accepting connections, lets every connection finish the
    /// commands it has already received (their responses are sent; new commands are answered BUSY so the initiator
    /// sends them again elsewhere or later), then closes the connections and waits until they have ended. The drain
    /// lasts at most <see cref="DrainTimeout"/>, or until <paramref name="cancellationToken"/> is cancelled; then the
    /// commands still running are aborted. A stopped portal cannot start again. Calling it again, or concurrently,
    /// waits for the same stop.
    /// </summary>
    /// <param name="cancellationToken">
    /// Ends the drain early: connections are closed at once, with no error. Only the first call's token counts.
    /// </param>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_stopGate)
        {
            return _stop ??= StopOnceAsync(cancellationToken);
        }
    }

    /// <summary>Stops the portal (see <see cref="StopAsync"/>) and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _startToken.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        if (LocalEndPoint is not { } endPoint)
        {
            return;
        }

        _registry.RemovePortal(endPoint);
        await DrainAsync(endPoint, cancellationToken).ConfigureAwait(false);
        foreach (var connection in _connections.Keys)
        {
            connection.Close(IscsiSessionCloseReason.PortalStopped);
        }

        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        _logger.PortalStopped(endPoint);
    }

    /// <summary>Lets every connection finish the commands it has received, for up to <see cref="DrainTimeout"/>.</summary>
    private async Task DrainAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var connections = _connections.ToArray();
        if (connections.Length == 0)
        {
            return;
        }

        _logger.PortalDraining(endPoint, connections.Length, DrainTimeout);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(DrainTimeout);
        try
        {
            await Task.WhenAll(connections.Select(c => c.Key.DrainAsync(limit.Token))).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            if (limit.IsCancellationRequested)
            {
                _logger.DrainCutShort(endPoint);
            }
        }
    }

    private Task AcceptLoopAsync(Socket listener, CancellationToken cancellationToken) =>
        new AcceptLoop(listener.AcceptAsync, Admit, LocalEndPoint!, TimeProvider, _logger).RunAsync(cancellationToken);

    /// <summary>
    /// Serves an accepted connection, or closes it at once, before reading anything, when the portal already serves
    /// <see cref="IscsiLimits.MaxConnectionsPerPortal"/> (logged once as the portal reaches its limit, and once as it
    /// accepts again).
    /// </summary>
    private void Admit(Socket socket)
    {
        int limit = _registry.Limits.MaxConnectionsPerPortal;
        if (limit > 0 && Volatile.Read(ref _open) >= limit)
        {
            if (_refused++ == 0)
            {
                _logger.ConnectionLimitReached(LocalEndPoint!, limit);
            }

            _logger.ConnectionRefused(socket.RemoteEndPoint);
            socket.Dispose();
            return;
        }

        if (_refused > 0)
        {
            _logger.ConnectionLimitLeft(LocalEndPoint!, _refused);
            _refused = 0;
        }

        Interlocked.Increment(ref _open);
        var connection = new IscsiConnection(socket, _registry, _logger, Timeouts);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _connections[connection] = done.Task;
        _ = ServeAsync(connection, done);
    }

    /// <summary>Serves one connection until it ends; the portal closes it itself when it stops, after the drain.</summary>
    private async Task ServeAsync(IscsiConnection connection, TaskCompletionSource done)
    {
        try
        {
            await Task.Yield();
            await using (connection.ConfigureAwait(false))
            {
                await connection.RunAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            _logger.ConnectionFailed(connection.Remote, ex);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
            Interlocked.Decrement(ref _open);
            done.TrySetResult();
        }
    }
}
