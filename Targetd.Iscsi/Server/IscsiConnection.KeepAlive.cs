using Targetd.Iscsi.Targets;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;

namespace Targetd.Iscsi.Server;

/// <content>
/// Carries out what the connection's <see cref="KeepAlive"/> decides: pings an initiator gone silent (RFC 7143 §11.19)
/// and closes a connection that did not log in in time, did not answer a ping, or stopped reading (its tasks, its
/// RESERVE and its buffers are then released).
/// </content>
internal sealed partial class IscsiConnection
{
    private uint _nextPingTag;

    /// <summary>
    /// Starts checking the connection's timeouts until it closes. The timer starts here, on the caller's thread, so the
    /// clock counts from the connection's start.
    /// </summary>
    private void StartWatch(CancellationToken cancellationToken)
    {
        if (_keepAlive.CheckPeriod is { } every)
        {
            var timer = new PeriodicTimer(every, _time);
            RunInBackground(() => WatchAsync(timer, cancellationToken));
        }
    }

    /// <summary>Checks the connection's timeouts at every tick; closes it when the keepalive says so.</summary>
    private async Task WatchAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        using var owned = timer;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!Apply(_keepAlive.Check(), cancellationToken))
                {
                    Close();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The connection is closing.
        }
    }

    /// <summary>Carries out one verdict; false when the connection must close.</summary>
    private bool Apply(KeepAliveVerdict verdict, CancellationToken cancellationToken)
    {
        var timeouts = _keepAlive.Timeouts;
        switch (verdict)
        {
            case KeepAliveVerdict.LoginTimedOut:
                _logger.LoginTimedOut(Remote, timeouts.Login);
                return false;
            case KeepAliveVerdict.SendStalled:
                _logger.SendStalled(Remote, _keepAlive.SendStallLimit);
                NoteCloseReason(IscsiSessionCloseReason.KeepAliveTimeout);
                return false;
            case KeepAliveVerdict.PingUnanswered:
                _logger.KeepAliveTimedOut(Remote, timeouts.NopInResponse);
                NoteCloseReason(IscsiSessionCloseReason.KeepAliveTimeout);
                return false;
            case KeepAliveVerdict.Ping:
                // The ping waits for the send lock beside the checks: a send the initiator does not read must not stop them.
                RunInBackground(() => PingAsync(cancellationToken));
                return true;
            default:
                return true;
        }
    }

    private async Task PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await SendPingAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The ping could not be sent: the read loop meets the same failure and ends the connection.
        }
    }

    /// <summary>
    /// A target-initiated NOP-In (§11.19): Initiator Task Tag FFFFFFFFh, a Target Transfer Tag that asks for a NOP-Out
    /// in answer, LUN 0, and the next StatSN without advancing it.
    /// </summary>
    private async ValueTask SendPingAsync(CancellationToken cancellationToken)
    {
        uint tag = ++_nextPingTag;
        if (tag == BasicHeaderSegment.ReservedTag)
        {
            tag = _nextPingTag = 1;
        }

        var header = _writer.RentHeader();
        _ = new NopInPduWriter(header)
        {
            InitiatorTaskTag = BasicHeaderSegment.ReservedTag,
            TargetTransferTag = tag,
        };
        await _writer.SendAsync(header, ReadOnlyMemory<byte>.Empty, StatusNumbering.Current, cancellationToken).ConfigureAwait(false);
    }
}
