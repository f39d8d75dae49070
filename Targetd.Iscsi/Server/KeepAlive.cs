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

    /// <summary>
    /// How often to check: a quarter of the shortest timeout, at least 10 ms and at most 1 s; null when every check is off
    /// (then <see cref="Check"/> never asks for anything).
    /// </summary>
    public TimeSpan? CheckPeriod
    {
        get
        {
            var limits = new[] { _timeouts.Login, _timeouts.NopInInterval, _timeouts.NopInResponse }.Where(t => t != Timeout.InfiniteTimeSpan).ToList();
            if (limits.Count == 0)
            {
                return null;
            }

            var quarter = limits.Min() / 4;
            return quarter < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10)
                : quarter > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : quarter;
        }
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

    private bool Exceeded(long since, long now, TimeSpan limit) =>
        limit != Timeout.InfiniteTimeSpan && _time.GetElapsedTime(since, now) >= limit;
}
