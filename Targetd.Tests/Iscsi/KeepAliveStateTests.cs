using Microsoft.Extensions.Time.Testing;
using Targetd.Iscsi;
using Targetd.Iscsi.Server;

namespace Targetd.Tests.Iscsi;

/// <summary>The connection's timeouts as a state machine on a manual clock: login, ping, answer, stalled send.</summary>
public sealed class KeepAliveStateTests
{
    private static readonly ConnectionTimeouts Lio = ConnectionTimeouts.Default; // 15 s login, ping after 15 s, 30 s to answer

    [Test]
    public void A_login_that_does_not_end_within_the_login_timeout_closes_the_connection()
    {
        var clock = new FakeTimeProvider();
        var keepAlive = new KeepAlive(Lio, clock);
        clock.Advance(TimeSpan.FromSeconds(14.9));
        keepAlive.Check().Should().Be(KeepAliveVerdict.None);
        keepAlive.Received(); // a login PDU does not extend the login timeout
        clock.Advance(TimeSpan.FromSeconds(0.1));
        keepAlive.Check().Should().Be(KeepAliveVerdict.LoginTimedOut);
    }

    [Test]
    public void A_silent_initiator_is_pinged_once_then_closed_if_it_stays_silent()
    {
        var clock = new FakeTimeProvider();
        var keepAlive = new KeepAlive(Lio, clock);
        keepAlive.EnteredFullFeaturePhase();
        clock.Advance(TimeSpan.FromSeconds(14));
        keepAlive.Check().Should().Be(KeepAliveVerdict.None, "a login after 14 s of silence is not pinged yet");
        clock.Advance(TimeSpan.FromSeconds(1));
        keepAlive.Check().Should().Be(KeepAliveVerdict.Ping);
        clock.Advance(TimeSpan.FromSeconds(29));
        keepAlive.Check().Should().Be(KeepAliveVerdict.None, "one ping is outstanding; no second one is sent");
        clock.Advance(TimeSpan.FromSeconds(1));
        keepAlive.Check().Should().Be(KeepAliveVerdict.PingUnanswered);
    }

    [Test]
    public void Anything_received_answers_the_ping_and_restarts_the_interval()
    {
        var clock = new FakeTimeProvider();
        var keepAlive = new KeepAlive(Lio, clock);
        keepAlive.EnteredFullFeaturePhase();
        clock.Advance(TimeSpan.FromSeconds(15));
        keepAlive.Check().Should().Be(KeepAliveVerdict.Ping);
        clock.Advance(TimeSpan.FromSeconds(20));
        keepAlive.Received();
        clock.Advance(TimeSpan.FromSeconds(14));
        keepAlive.Check().Should().Be(KeepAliveVerdict.None, "the initiator spoke 14 s ago");
        clock.Advance(TimeSpan.FromSeconds(1));
        keepAlive.Check().Should().Be(KeepAliveVerdict.Ping);
    }

    [Test]
    public void A_send_that_waits_longer_than_both_keepalive_timeouts_closes_the_connection()
    {
        var clock = new FakeTimeProvider();
        var keepAlive = new KeepAlive(Lio, clock);
        keepAlive.EnteredFullFeaturePhase();
        keepAlive.SendStallLimit.Should().Be(TimeSpan.FromSeconds(45));
        keepAlive.SendStarted();
        clock.Advance(TimeSpan.FromSeconds(10));
        keepAlive.Received(); // the initiator keeps writing, but does not read
        clock.Advance(TimeSpan.FromSeconds(34));
        keepAlive.Check().Should().Be(KeepAliveVerdict.Ping, "the initiator has been silent for 34 s, but the send may still wait");
        clock.Advance(TimeSpan.FromSeconds(1));
        keepAlive.Check().Should().Be(KeepAliveVerdict.SendStalled);
    }

    [Test]
    public void A_send_that_ends_in_time_is_not_a_stall()
    {
        var clock = new FakeTimeProvider();
        var keepAlive = new KeepAlive(Lio, clock);
        keepAlive.EnteredFullFeaturePhase();
        keepAlive.SendStarted();
        clock.Advance(TimeSpan.FromSeconds(44));
        keepAlive.SendEnded();
        keepAlive.Received();
        clock.Advance(TimeSpan.FromSeconds(5));
        keepAlive.Check().Should().Be(KeepAliveVerdict.None);
    }

    [Test]
    public void With_every_timeout_off_nothing_is_checked()
    {
        var keepAlive = new KeepAlive(ConnectionTimeouts.None, new FakeTimeProvider());
        keepAlive.Watches.Should().BeFalse();
        keepAlive.UntilNextCheck().Should().BeNull();
        keepAlive.SendStallLimit.Should().Be(Timeout.InfiniteTimeSpan);
    }

    [Test]
    public void An_idle_connection_is_checked_once_per_interval_not_every_second()
    {
        var clock = new FakeTimeProvider();
        var keepAlive = new KeepAlive(Lio, clock);
        keepAlive.UntilNextCheck().Should().Be(TimeSpan.FromSeconds(15), "the login timeout, or the first ping it could reach");
        clock.Advance(TimeSpan.FromSeconds(2));
        keepAlive.Received();
        keepAlive.EnteredFullFeaturePhase();
        clock.Advance(TimeSpan.FromSeconds(4));
        keepAlive.UntilNextCheck().Should().Be(TimeSpan.FromSeconds(11), "15 s after the last PDU");

        clock.Advance(TimeSpan.FromSeconds(11));
        keepAlive.Check().Should().Be(KeepAliveVerdict.Ping);
        keepAlive.UntilNextCheck().Should().Be(TimeSpan.FromSeconds(15), "an answer would make the next ping due 15 s after this one at the soonest");
        clock.Advance(TimeSpan.FromSeconds(3));
        keepAlive.Received();
        keepAlive.UntilNextCheck().Should().Be(TimeSpan.FromSeconds(15), "answered: the interval starts again");
    }

    [Test]
    public void An_unanswered_ping_and_a_long_login_do_not_make_the_checks_spin()
    {
        var clock = new FakeTimeProvider();
        var keepAlive = new KeepAlive(Lio, clock);
        keepAlive.EnteredFullFeaturePhase();
        clock.Advance(TimeSpan.FromSeconds(15));
        keepAlive.Check().Should().Be(KeepAliveVerdict.Ping);
        clock.Advance(TimeSpan.FromSeconds(15));
        keepAlive.Check().Should().Be(KeepAliveVerdict.None);
        keepAlive.UntilNextCheck().Should().Be(TimeSpan.FromSeconds(15), "no answer yet: the next ping is an interval away, the timeout too");

        var slowLogin = new KeepAlive(new(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30)), clock);
        clock.Advance(TimeSpan.FromSeconds(7));
        slowLogin.UntilNextCheck().Should().Be(TimeSpan.FromSeconds(5));
    }

    [Test]
    public void A_send_under_way_is_checked_by_its_stall_limit_and_no_deadline_is_missed()
    {
        var clock = new FakeTimeProvider();
        var timeouts = new ConnectionTimeouts(TimeSpan.FromSeconds(15), Timeout.InfiniteTimeSpan, TimeSpan.FromSeconds(30));
        var keepAlive = new KeepAlive(timeouts, clock);
        keepAlive.EnteredFullFeaturePhase();
        keepAlive.UntilNextCheck().Should().Be(TimeSpan.FromSeconds(30), "a send that starts now could stall by then");
        clock.Advance(TimeSpan.FromSeconds(20));
        keepAlive.SendStarted();
        clock.Advance(TimeSpan.FromSeconds(10));
        keepAlive.UntilNextCheck().Should().Be(TimeSpan.FromSeconds(20));
        clock.Advance(TimeSpan.FromSeconds(20));
        keepAlive.Check().Should().Be(KeepAliveVerdict.SendStalled);
    }

    [Test]
    public void Waits_are_at_least_10_ms_and_end_when_no_deadline_is_left()
    {
        var clock = new FakeTimeProvider();
        var fast = new KeepAlive(new(Timeout.InfiniteTimeSpan, TimeSpan.FromMilliseconds(8), Timeout.InfiniteTimeSpan), clock);
        fast.UntilNextCheck().Should().Be(KeepAlive.MinimumWait);
        clock.Advance(TimeSpan.FromSeconds(1));
        fast.UntilNextCheck().Should().Be(KeepAlive.MinimumWait, "a deadline already met");

        var loginOnly = new KeepAlive(new(TimeSpan.FromSeconds(15), Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan), clock);
        loginOnly.UntilNextCheck().Should().Be(TimeSpan.FromSeconds(15));
        loginOnly.EnteredFullFeaturePhase();
        loginOnly.UntilNextCheck().Should().BeNull();
    }
}
