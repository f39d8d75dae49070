namespace Targetd.Iscsi.Server;

/// <summary>
/// The timeouts of one connection as a state machine on a <see cref="TimeProvider"/>: the login timeout, the NOP-In
/// keepalive (RFC 7143 §11.19) that finds an initiator gone silent, and the send watch that finds one that stopped
/// reading. The connection reports what happens (<see cref="Received"/>, <see cref="SendStarted"/>, ...) and asks
/// <see cref="Check"/> what to do; nothing here sends, waits or closes. Events may come from any thread; checks come
/// from one.
/// </summary>
internal sealed class KeepAlive
{
    private readonly ConnectionTimeouts _timeouts;
    private readonly TimeProvider _time;
    private readonly long _acceptedAt;
    private long _lastReceived;
    private long _pingSentAt = -1;
    private long _sendingSince = -1;
    private bool _fullFeature;

    public KeepAlive(ConnectionTimeouts timeouts, TimeProvider time)
    {
        _timeouts = timeouts;
        _time = time;
        _acceptedAt = _lastReceived = time.GetTimestamp();
    }

    /// <summary>The shortest wait between two checks, so that a deadline met exactly never makes a busy loop.</summary>
    public static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(10);

    /// <summary>Whether any timeout is on (when none is, <see cref="Check"/> never asks for anything and nothing need watch).</summary>
    public bool Watches =>
        _timeouts.Login != Timeout.InfiniteTimeSpan || _timeouts.NopInInterval != Timeout.InfiniteTimeSpan || _timeouts.NopInResponse != Timeout.InfiniteTimeSpan;

    /// <summary>
    /// How long the next <see cref="Check"/> can wait: until the earliest deadline of the current state (at least
    /// <see cref="MinimumWait"/>), or null when no deadline can come any more. What happens meanwhile only moves deadlines
    /// later than the wake this names: a received PDU restarts the interval, a ping's answer starts it no sooner than the
    /// ping, a send that starts now has the longer stall limit, and the keepalive after login counts from the login's
    /// end. An idle connection is thus checked once per interval instead of every second.
    /// </summary>
    public TimeSpan? UntilNextCheck()
    {
        long now = _time.GetTimestamp();
        TimeSpan next;
        if (!Volatile.Read(ref _fullFeature))
        {
            next = Min(Remaining(_acceptedAt, now, _timeouts.Login), NotBeforeNow(Remaining(_acceptedAt, now, _timeouts.NopInInterval)));
        }
        else
        {
            long lastReceived = Volatile.Read(ref _lastReceived);
            // With a ping out, its answer may come at any moment and start the interval again from then: the next
            // ping is due no sooner than one interval after this one, so that is when to look again.
            next = _pingSentAt >= 0 && lastReceived < _pingSentAt
                ? Min(Remaining(_pingSentAt, now, _timeouts.NopInResponse), NotBeforeNow(Remaining(_pingSentAt, now, _timeouts.NopInInterval)))
                : Remaining(lastReceived, now, _timeouts.NopInInterval);
            long sendingSince = Volatile.Read(ref _sendingSince);
            if (sendingSince >= 0)
            {
                next = Min(next, Remaining(sendingSince, now, SendStallLimit));
            }
            else if (SendStallLimit != Timeout.InfiniteTimeSpan)
            {
                // A send may start at any moment; its stall limit is longer than the interval, so the interval's
                // deadline (or, with no interval, the stall limit from now) is never late for it.
                next = Min(next, SendStallLimit);
            }
        }

        return next == TimeSpan.MaxValue ? null : next < MinimumWait ? MinimumWait : next;
    }

    /// <summary>
    /// How long one send may wait for the initiator to take its bytes: NopInInterval + NopInResponse, the time within
    /// which a silent initiator is found gone; infinite when the keepalive is off.
    /// </summary>
    public TimeSpan SendStallLimit =>
        _timeouts.NopInResponse == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan
        : _timeouts.NopInResponse + (_timeouts.NopInInterval == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : _timeouts.NopInInterval);

    /// <summary>The timeouts this machine applies.</summary>
    public ConnectionTimeouts Timeouts => _timeouts;

    /// <summary>The login phase ended: the login timeout no longer applies, the keepalive does.</summary>
    public void EnteredFullFeaturePhase() => Volatile.Write(ref _fullFeature, true);

    /// <summary>The initiator sent something: it is alive, and any ping is answered.</summary>
    public void Received() => Volatile.Write(ref _lastReceived, _time.GetTimestamp());

    /// <summary>A send to the initiator starts.</summary>
    public void SendStarted() => Volatile.Write(ref _sendingSince, _time.GetTimestamp());

    /// <summary>The send under way has ended.</summary>
    public void SendEnded() => Volatile.Write(ref _sendingSince, -1);

    /// <summary>One check, at the current time: what the connection must do.</summary>
    public KeepAliveVerdict Check()
    {
        long now = _time.GetTimestamp();
        if (!Volatile.Read(ref _fullFeature))
        {
            return Exceeded(_acceptedAt, now, _timeouts.Login) ? KeepAliveVerdict.LoginTimedOut : KeepAliveVerdict.None;
        }

        long sendingSince = Volatile.Read(ref _sendingSince);
        if (sendingSince >= 0 && Exceeded(sendingSince, now, SendStallLimit))
        {
            return KeepAliveVerdict.SendStalled;
        }

        long lastReceived = Volatile.Read(ref _lastReceived);
        if (_pingSentAt >= 0 && lastReceived >= _pingSentAt)
        {
            _pingSentAt = -1; // answered, or the initiator spoke otherwise
        }

        if (_pingSentAt >= 0)
        {
            return Exceeded(_pingSentAt, now, _timeouts.NopInResponse) ? KeepAliveVerdict.PingUnanswered : KeepAliveVerdict.None;
        }

        if (Exceeded(lastReceived, now, _timeouts.NopInInterval))
        {
            _pingSentAt = now;
            return KeepAliveVerdict.Ping;
        }

        return KeepAliveVerdict.None;
    }

    private TimeSpan Remaining(long since, long now, TimeSpan limit) =>
        limit == Timeout.InfiniteTimeSpan ? TimeSpan.MaxValue : limit - _time.GetElapsedTime(since, now);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>
    /// A keepalive deadline that an event still to come would start: once its earliest moment has passed, the event
    /// (the login's end, a ping's answer) comes later than now, and the deadline lies a whole interval after it.
    /// </summary>
    private TimeSpan NotBeforeNow(TimeSpan remaining) => remaining > TimeSpan.Zero ? remaining : _timeouts.NopInInterval;

    private bool Exceeded(long since, long now, TimeSpan limit) =>
        limit != Timeout.InfiniteTimeSpan && _time.GetElapsedTime(since, now) >= limit;
}
