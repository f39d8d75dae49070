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
        using var pool = new IoBufferPool.SharedPool(clock, () => collections++, threshold: 16 * MiB);

        for (int i = 0; i < 8192; i++)
        {
            pool.Return(pool.Rent(IoBufferPool.SmallLimit));
        }

        clock.Advance(TimeSpan.FromMinutes(1));
        collections.Should().Be(0, "small buffers are not the reclaimer's");

        var large = Enumerable.Range(0, 8).Select(_ => pool.Rent(2 * (int)MiB)).ToList();
        large.Should().OnlyContain(b => b.Length == 2 * MiB, "buffers over 1 MiB are allocated for their command");
        clock.Advance(TimeSpan.FromMinutes(1));
        collections.Should().Be(0, "nothing was given back");
        large.ForEach(pool.Return);
        clock.Advance(Quiet);
        collections.Should().Be(1);
    }

    [Test]
    public void After_a_burst_of_pooled_large_buffers_the_pool_drops_them_before_the_collection_and_keeps_the_small_ones()
    {
        var clock = new FakeTimeProvider();
        long largeAtCollection = -1;
        IoBufferPool.SharedPool? shared = null;
        using var pool = shared = new IoBufferPool.SharedPool(clock, () => largeAtCollection = shared!.Arrays.RetainedBytes(IoBufferPool.SmallLimit + 1));

        // 64 commands of 1 MiB at once, with their headers and some 4 KiB ones.
        var large = Enumerable.Range(0, 64).Select(_ => pool.Rent((int)MiB)).ToList();
        var small = Enumerable.Range(0, 64).SelectMany(_ => new[] { pool.Rent(52), pool.Rent(4096) }).ToList();
        large.ForEach(pool.Return);
        small.ForEach(pool.Return);
        pool.Arrays.RetainedBytes(IoBufferPool.SmallLimit + 1).Should().Be(16 * MiB, "the pool keeps sixteen 1 MiB buffers at most");
        long smallKept = pool.Arrays.RetainedBytes();
        smallKept.Should().Be((16 * MiB) + (64 * (64 + 4096)));

        // A command of 1 MiB now and then while the burst winds down reuses what was kept and puts the collection off.
        clock.Advance(TimeSpan.FromSeconds(1.5));
        var again = pool.Rent((int)MiB);
        large.Should().Contain(again, "a kept buffer is reused");
        pool.Return(again);
        clock.Advance(Quiet - TimeSpan.FromMilliseconds(1));
        pool.Reclaimer.Reclaims.Should().Be(0, "a large buffer was taken during the quiet period");
        pool.Arrays.RetainedBytes(IoBufferPool.SmallLimit + 1).Should().Be(16 * MiB, "nothing is dropped while the burst goes on");

        clock.Advance(TimeSpan.FromMilliseconds(1));
        pool.Reclaimer.Reclaims.Should().Be(1);
        largeAtCollection.Should().Be(0, "the large buffers no command took for a quiet period were dropped for the collection");
        pool.Arrays.RetainedBytes().Should().Be(64 * (64 + 4096), "small buffers stay pooled: the collector compacts them anyway");

        clock.Advance(TimeSpan.FromMinutes(1));
        pool.Reclaimer.Reclaims.Should().Be(1, "an idle target is collected once, not on a timer");
        large.Should().NotContain(pool.Rent((int)MiB), "a new burst gets new buffers");
    }

    [Test]
    public void Pooled_large_buffers_under_the_threshold_stay_pooled_and_count_towards_the_next_collection()
    {
        var clock = new FakeTimeProvider();
        int collections = 0;
        using var pool = new IoBufferPool.SharedPool(clock, () => collections++);

        for (int burst = 0; burst < 3; burst++)
        {
            var large = Enumerable.Range(0, 16).Select(_ => pool.Rent(1 << 20)).ToList();
            large.ForEach(pool.Return);
            clock.Advance(TimeSpan.FromMinutes(1));
            collections.Should().Be(0, "16 MiB given back is not worth a collection");
            pool.Arrays.RetainedBytes().Should().Be(16 * MiB, "and the pool keeps them, for the next burst");
        }

        var last = Enumerable.Range(0, 16).Select(_ => pool.Rent(1 << 20)).ToList();
        last.ForEach(pool.Return);
        clock.Advance(Quiet);
        collections.Should().Be(1, "64 MiB given back in all");
        pool.Arrays.RetainedBytes().Should().Be(0);
    }

    [Test]
    public void The_collection_is_a_full_one()
    {
        int before = GC.CollectionCount(GC.MaxGeneration);
        LargeBufferReclaimer.CollectAggressively();
        GC.CollectionCount(GC.MaxGeneration).Should().BeGreaterThan(before);
    }
}
