using Microsoft.Extensions.Time.Testing;
using Targetd.Iscsi.Server;

namespace Targetd.Tests.Iscsi;

/// <summary>
/// A burst of large buffers is collected once it is over: once enough of them were given back and none was taken or
/// given back for the quiet period, and only once a burst.
/// </summary>
public sealed class LargeBufferReclaimerTests
{
    private const long MiB = 1024 * 1024;
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);

    [Test]
    public void A_burst_is_collected_once_a_quiet_period_after_its_last_buffer_and_only_once()
    {
        var clock = new FakeTimeProvider();
        int collections = 0;
        using var reclaimer = new LargeBufferReclaimer(64 * MiB, Quiet, clock, () => collections++);

        for (int i = 0; i < 10; i++)
        {
            reclaimer.Taken();
            reclaimer.GivenBack(8 * MiB);
        }

        clock.Advance(Quiet - TimeSpan.FromMilliseconds(1));
        collections.Should().Be(0, "the quiet period has not passed");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        collections.Should().Be(1);
        reclaimer.Reclaims.Should().Be(1);

        clock.Advance(TimeSpan.FromMinutes(1));
        collections.Should().Be(1, "an idle target is collected once, not on a timer");
    }

    [Test]
    public void Buffers_that_keep_coming_put_the_collection_off_until_they_stop()
    {
        var clock = new FakeTimeProvider();
        int collections = 0;
        using var reclaimer = new LargeBufferReclaimer(64 * MiB, Quiet, clock, () => collections++);

        for (int i = 0; i < 20; i++)
        {
            reclaimer.Taken();
            reclaimer.GivenBack(8 * MiB);
            clock.Advance(TimeSpan.FromSeconds(1.5));
        }

        collections.Should().Be(0, "no collection on the data path while the burst goes on");
        clock.Advance(TimeSpan.FromSeconds(0.4));
        collections.Should().Be(0, "the quiet period counts from the last buffer");
        clock.Advance(TimeSpan.FromSeconds(0.1));
        collections.Should().Be(1);
        clock.Advance(TimeSpan.FromMinutes(1));
        collections.Should().Be(1);
    }

    [Test]
    public void Less_than_the_threshold_given_back_is_not_worth_a_collection_and_a_later_burst_gets_its_own()
    {
        var clock = new FakeTimeProvider();
        int collections = 0;
        using var reclaimer = new LargeBufferReclaimer(64 * MiB, Quiet, clock, () => collections++);

        reclaimer.Taken();
        reclaimer.GivenBack(56 * MiB);
        clock.Advance(TimeSpan.FromMinutes(1));
        collections.Should().Be(0);

        reclaimer.Taken();
        reclaimer.GivenBack(8 * MiB);
        clock.Advance(Quiet);
        collections.Should().Be(1, "what was given back adds up across quiet periods");

        reclaimer.Taken();
        reclaimer.GivenBack(32 * MiB);
        clock.Advance(TimeSpan.FromMinutes(1));
        collections.Should().Be(1, "the count starts again after a collection");
        reclaimer.Taken();
        reclaimer.GivenBack(32 * MiB);
        clock.Advance(Quiet);
        collections.Should().Be(2);
    }

    [Test]
    public void Buffers_still_taken_when_the_quiet_period_starts_put_it_off()
    {
        var clock = new FakeTimeProvider();
        int collections = 0;
        using var reclaimer = new LargeBufferReclaimer(64 * MiB, Quiet, clock, () => collections++);

        reclaimer.GivenBack(64 * MiB);
        clock.Advance(TimeSpan.FromSeconds(1));
        reclaimer.Taken();
        clock.Advance(TimeSpan.FromSeconds(1.9));
        collections.Should().Be(0, "a buffer was taken during the quiet period");
        clock.Advance(TimeSpan.FromSeconds(0.1));
        collections.Should().Be(1);
    }

    [Test]
    public void The_shared_pool_tells_the_reclaimer_of_large_buffers_only()
    {
        var clock = new FakeTimeProvider();
        int collections = 0;
        using var reclaimer = new LargeBufferReclaimer(16 * MiB, Quiet, clock, () => collections++);
        var pool = new IoBufferPool.SharedPool(reclaimer);

        for (int i = 0; i < 64; i++)
        {
            pool.Return(pool.Rent(IoBufferPool.PooledLimit));
        }

        clock.Advance(TimeSpan.FromMinutes(1));
        collections.Should().Be(0, "pooled buffers stay in the pool; they are not the collector's");

        var large = Enumerable.Range(0, 8).Select(_ => pool.Rent(2 * (int)MiB)).ToList();
        large.Should().OnlyContain(b => b.Length == 2 * MiB, "large buffers are allocated for their command");
        clock.Advance(TimeSpan.FromMinutes(1));
        collections.Should().Be(0, "nothing was given back");
        large.ForEach(pool.Return);
        clock.Advance(Quiet);
        collections.Should().Be(1);
    }

    [Test]
    public void The_collection_is_a_full_one()
    {
        int before = GC.CollectionCount(GC.MaxGeneration);
        LargeBufferReclaimer.CollectAggressively();
        GC.CollectionCount(GC.MaxGeneration).Should().BeGreaterThan(before);
    }
}
