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
public sealed class IscsiPortal : IAsyncDisposable
{
    /// <summary>The well-known iSCSI port, IANA "iscsi-target".</summary>
    public const int DefaultPort = 3260;

    private readonly IscsiTargetRegistry _registry;
    private readonly IPEndPoint _endPoint;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<IscsiConnection, Task> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private int _stopped;

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

    /// <summary>The bound address and port, once started.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>The connections being served.</summary>
    internal IEnumerable<IscsiConnection> Connections => _connections.Keys;

    /// <summary>The number of connections being served.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Binds and starts accepting connections.</summary>
    /// <param name="cancellationToken">Stops the portal when cancelled.</param>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _stopped) != 0, this);
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
        cancellationToken.Register(() => _stopping.Cancel());
        _logger.PortalStarted(LocalEndPoint);
        _acceptLoop = AcceptLoopAsync(listener, _stopping.Token);
        return Task.CompletedTask;
    }

    /// <summary>Stops listening, closes every connection and waits until they have ended.</summary>
    /// <param name="cancellationToken">Abandons the wait (connections are closed regardless).</param>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        if (LocalEndPoint is not null)
        {
            _registry.RemovePortal(LocalEndPoint);
        }

        if (_acceptLoop is not null)
        {
            await _acceptLoop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var connection in _connections.Keys)
        {
            connection.Close();
        }

        await Task.WhenAll(_connections.Values).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (LocalEndPoint is not null)
        {
            _logger.PortalStopped(LocalEndPoint);
        }
    }

    /// <summary>Stops the portal.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                _logger.AcceptFailed(ex);
                continue;
            }

            var connection = new IscsiConnection(socket, _registry, _logger, Timeouts);
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _connections[connection] = done.Task;
            _ = ServeAsync(connection, done, cancellationToken);
        }
    }

    private async Task ServeAsync(IscsiConnection connection, TaskCompletionSource done, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Yield();
            await using (connection.ConfigureAwait(false))
            {
                await connection.RunAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            _logger.ConnectionFailed(connection.Remote, ex);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
            done.TrySetResult();
        }
    }
}
