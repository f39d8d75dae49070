namespace Targetd.Iscsi;

/// <summary>
/// How long a portal waits on a silent initiator. A connection must finish its login within
/// <see cref="Login"/>; in the full feature phase a connection that has sent nothing for <see cref="NopInInterval"/>
/// is pinged with a NOP-In (RFC 7143 §11.19), and closed when nothing at all arrives for
/// <see cref="NopInResponse"/> after the ping: its tasks are aborted and what the I_T nexus held (RESERVE, the
/// session) is released. The defaults are LIO's. <see cref="Timeout.InfiniteTimeSpan"/> turns a check off.
/// </summary>
/// <param name="Login">From the TCP connection to the end of the login phase.</param>
/// <param name="NopInInterval">Silence after which the target pings.</param>
/// <param name="NopInResponse">How long after a ping the connection may stay silent.</param>
public sealed record ConnectionTimeouts(TimeSpan Login, TimeSpan NopInInterval, TimeSpan NopInResponse)
{
    /// <summary>15 s to log in, a ping after 15 s of silence, 30 s to answer it.</summary>
    public static ConnectionTimeouts Default { get; } = new(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30));

    /// <summary>Never closes a silent connection and never pings.</summary>
    public static ConnectionTimeouts None { get; } = new(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    /// <summary>
    /// Reads one timeout of a configuration file as LIO's attributes take them (<c>login_timeout</c>,
    /// <c>nopin_timeout</c>, <c>nopin_response_timeout</c>): whole seconds, 0 for off, at most one day.
    /// </summary>
    /// <exception cref="ArgumentException">The value is not such a number; the message names <paramref name="key"/>.</exception>
    public static TimeSpan ParseSeconds(string key, string value) =>
        int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int seconds) && seconds <= 86400
            ? seconds == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException($"{key}: '{value}' is not a number of seconds from 0 (off) to 86400");
}
