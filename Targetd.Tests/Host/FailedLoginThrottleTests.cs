using System.Diagnostics;
using System.Net;
using Targetd.Host.Http;

namespace Targetd.Tests.Host;

/// <summary>Failed API logins are slowed per client address, and the table of addresses does not grow without bound.</summary>
public sealed class FailedLoginThrottleTests
{
    [Test]
    public async Task Addresses_are_forgotten_once_their_failed_logins_have_been_answered()
    {
        var throttle = new FailedLoginThrottle(TimeSpan.FromMilliseconds(1));
        var failures = Enumerable.Range(1, 2000)
            .Select(i => throttle.DelayAsync(new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]), CancellationToken.None));
        await Task.WhenAll(failures);

        throttle.TrackedAddresses.Should().Be(0, "2,000 addresses came and went");
    }

    [Test]
    public async Task Failed_logins_of_one_address_wait_their_turn_and_a_cancelled_one_leaves_nothing_behind()
    {
        var delay = TimeSpan.FromMilliseconds(100);
        var throttle = new FailedLoginThrottle(delay);
        var address = IPAddress.Parse("192.0.2.7");
        var elapsed = Stopwatch.StartNew();
        var first = throttle.DelayAsync(address, CancellationToken.None);
        var second = throttle.DelayAsync(address, CancellationToken.None);
        using var cancelled = new CancellationTokenSource();
        var third = throttle.DelayAsync(address, cancelled.Token);
        throttle.TrackedAddresses.Should().Be(1);
        await cancelled.CancelAsync();
        await first;
        await second;
        elapsed.Elapsed.Should().BeGreaterThanOrEqualTo(delay * 2 - TimeSpan.FromMilliseconds(5), "the second waited for the first");
        await FluentActions.Awaiting(() => third).Should().ThrowAsync<OperationCanceledException>();
        throttle.TrackedAddresses.Should().Be(0);
    }
}
