using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Targetd.Iscsi.Server;

/// <summary>
/// A portal's accept loop. An accept that fails for the connection's own sake (it was reset before it was taken) is
/// retried at once; any other failure, above all running out of file descriptors (EMFILE, ENFILE) or socket buffers
/// (ENOBUFS), would fail again at once, since the pending connection stays queued: the loop then pauses, 100 ms first,
/// doubling up to 1 s, until an accept succeeds. Each such episode is logged once, when it starts and when it ends.
/// </summary>
internal sealed class AcceptLoop
{
    /// <summary>The first pause after a failed accept.</summary>
    public static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest pause.</summary>
    public static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(1);

    private readonly Func<CancellationToken, ValueTask<Socket>> _accept;
    private readonly Action<Socket> _serve;
    private readonly EndPoint _endPoint;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="accept">Takes the next connection (the listener's AcceptAsync).</param>
    /// <param name="serve">Takes over an accepted connection; it must not block.</param>
    /// <param name="endPoint">The portal's address, for the log.</param>
    /// <param name="time">The clock pauses are measured on.</param>
    /// <param name="logger">The portal's log.</param>
    public AcceptLoop(Func<CancellationToken, ValueTask<Socket>> accept, Action<Socket> serve, EndPoint endPoint, TimeProvider time, ILogger logger)
    {
        _accept = accept;
        _serve = serve;
        _endPoint = endPoint;
        _time = time;
        _logger = logger;
    }

    /// <summary>Accepts until <paramref name="cancellationToken"/> is cancelled or the listener is closed.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var pause = TimeSpan.Zero;
        long failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _accept(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset or SocketError.Interrupted)
            {
                _logger.AcceptFailed(ex);
                continue;
            }
            catch (SocketException ex)
            {
                if (failures++ == 0)
                {
                    _logger.AcceptPaused(_endPoint, ex.SocketErrorCode, MaxPause, ex);
                }

                pause = pause == TimeSpan.Zero ? FirstPause : TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxPause.Ticks));
                try
                {
                    await Task.Delay(pause, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (failures > 0)
            {
                _logger.AcceptResumed(_endPoint, failures);
                failures = 0;
                pause = TimeSpan.Zero;
            }

            _serve(socket);
        }
    }
}
