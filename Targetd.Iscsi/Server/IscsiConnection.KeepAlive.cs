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
    /// Starts checking the connection's timeouts until it closes. The first wait starts here, on the caller's thread, so
    /// the clock counts from the connection's start.
    /// </summary>
    private void StartWatch(CancellationToken cancellationToken)
    {
        if (_keepAlive.Watches && _keepAlive.UntilNextCheck() is { } first)
        {
            var wait = Task.Delay(first, _time, cancellationToken);
            RunInBackground(() => WatchAsync(wait, cancellationToken));
        }
    }

    /// <summary>
    /// Checks the connection's timeouts at each deadline the keepalive names (not on a fixed tick: an idle connection
    /// wakes once per interval); closes it when the keepalive says so.
    /// </summary>
    private async Task WatchAsync(Task firstWait, CancellationToken cancellationToken)
    {
        try
        {
            await firstWait.ConfigureAwait(false);
            while (true)
            {
                if (!Apply(_keepAlive.Check(), cancellationToken))
                {
                    Close();
                    return;
                }

                if (_keepAlive.UntilNextCheck() is not { } wait)
                {
                    return;
                }

                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
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
