using Targetd.Iscsi.Wire;

namespace Targetd.Iscsi.Server;

/// <content>
/// The login timeout, the NOP-In keepalive (RFC 7143 §11.19) that finds an initiator gone silent, and the send watch that
/// finds one that stopped reading: a send that has not completed within the keepalive's two timeouts ends the connection,
/// so its tasks, its RESERVE and its buffers are released.
/// </content>
internal sealed partial class IscsiConnection
{
    private readonly long _acceptedAt = Environment.TickCount64;
    private long _lastReceived = Environment.TickCount64;
    private long _pingSentAt;
    private uint _nextPingTag;

    /// <summary>When the send now under way started (Environment.TickCount64), or 0 when none is.</summary>
    private long _sendingSince;

    /// <summary>Notes that the initiator sent something: the connection is alive.</summary>
    private void MarkReceived() => Volatile.Write(ref _lastReceived, Environment.TickCount64);

    /// <summary>Notes that a send to the socket starts (or, with 0, that it ended).</summary>
    private void MarkSending(bool sending) => Volatile.Write(ref _sendingSince, sending ? Environment.TickCount64 : 0);

    /// <summary>
    /// How long one send may wait for the initiator to take its bytes: NopInInterval + NopInResponse, the time within
    /// which a silent initiator is found gone; infinite when the keepalive is off.
    /// </summary>
    private TimeSpan SendStallLimit =>
        _timeouts.NopInResponse == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan
        : _timeouts.NopInResponse + (_timeouts.NopInInterval == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : _timeouts.NopInInterval);

    /// <summary>Checks the connection's timeouts until it closes; closes it when the initiator stays silent too long.</summary>
    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        var period = CheckPeriod(_timeouts);
        if (period is not { } every)
        {
            return;
        }

        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!Check(cancellationToken))
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
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The ping could not be sent: the read loop meets the same failure and ends the connection.
        }
    }

    /// <summary>One check; false when the connection must close.</summary>
    private bool Check(CancellationToken cancellationToken)
    {
        long now = Environment.TickCount64;
        if (!Volatile.Read(ref _fullFeature))
        {
            if (Exceeded(now - _acceptedAt, _timeouts.Login))
            {
                _logger.LoginTimedOut(Remote, _timeouts.Login);
                return false;
            }

            return true;
        }

        long sendingSince = Volatile.Read(ref _sendingSince);
        if (sendingSince != 0 && Exceeded(now - sendingSince, SendStallLimit))
        {
            _logger.SendStalled(Remote, SendStallLimit);
            NoteCloseReason(Targets.IscsiSessionCloseReason.KeepAliveTimeout);
            return false;
        }

        long lastReceived = Volatile.Read(ref _lastReceived);
        if (_pingSentAt != 0 && lastReceived >= _pingSentAt)
        {
            _pingSentAt = 0; // answered, or the initiator spoke otherwise
        }

        if (_pingSentAt != 0)
        {
            if (Exceeded(now - _pingSentAt, _timeouts.NopInResponse))
            {
                _logger.KeepAliveTimedOut(Remote, _timeouts.NopInResponse);
                NoteCloseReason(Targets.IscsiSessionCloseReason.KeepAliveTimeout);
                return false;
            }

            return true;
        }

        if (Exceeded(now - lastReceived, _timeouts.NopInInterval))
        {
            _pingSentAt = now;

            // The ping waits for the send lock beside these checks: a send the initiator does not read must not stop them.
            RunInBackground(() => PingAsync(cancellationToken));
        }

        return true;
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

        var header = RentHeader();
        _ = new HeaderWriter(header, IscsiOpcode.NopIn, 0x80)
            .InitiatorTaskTag(BasicHeaderSegment.ReservedTag)
            .UInt32(20, tag);
        await SendAsync(header, ReadOnlyMemory<byte>.Empty, StatusNumber.Current, cancellationToken).ConfigureAwait(false);
    }

    private static bool Exceeded(long elapsedMilliseconds, TimeSpan limit) =>
        limit != Timeout.InfiniteTimeSpan && elapsedMilliseconds >= (long)limit.TotalMilliseconds;

    /// <summary>How often to check: a quarter of the shortest timeout, at least 10 ms and at most 1 s; null when every check is off.</summary>
    private static TimeSpan? CheckPeriod(ConnectionTimeouts timeouts)
    {
        var limits = new[] { timeouts.Login, timeouts.NopInInterval, timeouts.NopInResponse }.Where(t => t != Timeout.InfiniteTimeSpan).ToList();
        if (limits.Count == 0)
        {
            return null;
        }

        var quarter = limits.Min() / 4;
        return quarter < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10)
            : quarter > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : quarter;
    }
}
