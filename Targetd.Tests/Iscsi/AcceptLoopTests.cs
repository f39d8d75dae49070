using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Targetd.Iscsi.Server;
using Targetd.Tests.Support;

namespace Targetd.Tests.Iscsi;

/// <summary>
/// The portal's accept loop when accepting fails: out of file descriptors it pauses (100 ms, doubling up to 1 s)
/// instead of spinning, logs the episode once, and starts again from 100 ms after an accept succeeds.
/// </summary>
public sealed class AcceptLoopTests
{
    [Test]
    [CancelAfter(30_000)]
    public async Task Failing_accepts_pause_100_ms_doubling_to_1_s_and_the_episode_is_logged_once()
    {
        var time = new TimerRecordingTimeProvider();
        var logger = new CollectingLogger();
        using var accepted = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        int calls = 0;
        int succeedAt = 7;
        var served = new List<Socket>();
        ValueTask<Socket> Accept(CancellationToken cancellationToken)
        {
            int call = Interlocked.Increment(ref calls);
            return call == Volatile.Read(ref succeedAt)
                ? ValueTask.FromResult(accepted)
                : throw new SocketException((int)SocketError.TooManyOpenSockets); // EMFILE
        }

        using var stop = new CancellationTokenSource();
        var loop = new AcceptLoop(Accept, served.Add, new IPEndPoint(IPAddress.Loopback, 3260), time, logger).RunAsync(stop.Token);

        var pauses = new List<TimeSpan>();
        for (int i = 0; i < 6; i++)
        {
            var pause = await time.NextTimerAsync();
            pauses.Add(pause);
            if (i == 0)
            {
                // A spinning loop would have called accept thousands of times meanwhile; this one waits for its clock.
                await Task.Delay(100);
                Volatile.Read(ref calls).Should().Be(1, "the loop waits out its pause before it accepts again");
            }

            Volatile.Read(ref calls).Should().Be(i + 1);
            time.Advance(pause);
        }

        pauses.Select(p => p.TotalMilliseconds).Should().Equal(100, 200, 400, 800, 1000, 1000);

        // The 7th accept succeeds, the 8th fails again: a new episode, from 100 ms.
        (await time.NextTimerAsync()).Should().Be(TimeSpan.FromMilliseconds(100));
        served.Should().Equal(accepted);
        logger.Entries.Where(e => e.Level == LogLevel.Warning).Should().HaveCount(2, "each episode is logged once")
            .And.AllSatisfy(e => e.Message.Should().Contain("TooManyOpenSockets"));
        logger.Entries.Should().ContainSingle(e => e.Message.Contains("accepts connections again after 6 failed attempts", StringComparison.Ordinal));

        await stop.CancelAsync();
        await loop;
    }

    [Test]
    [CancelAfter(10_000)]
    public async Task A_connection_reset_before_it_was_taken_is_skipped_without_a_pause()
    {
        var time = new TimerRecordingTimeProvider();
        using var accepted = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var stop = new CancellationTokenSource();
        int calls = 0;
        var served = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        ValueTask<Socket> Accept(CancellationToken cancellationToken) =>
            Interlocked.Increment(ref calls) switch
            {
                1 => throw new SocketException((int)SocketError.ConnectionAborted),
                2 => ValueTask.FromResult(accepted),
                _ => new ValueTask<Socket>(Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith<Socket>(_ => throw new OperationCanceledException(), TaskScheduler.Default)),
            };

        var loop = new AcceptLoop(Accept, s => served.TrySetResult(s), new IPEndPoint(IPAddress.Loopback, 3260), time, new CollectingLogger()).RunAsync(stop.Token);

        (await served.Task).Should().BeSameAs(accepted, "the next connection is taken at once, with no time passed");
        await stop.CancelAsync();
        await loop;
    }
}
