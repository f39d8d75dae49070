using Microsoft.Extensions.Time.Testing;
using Targetd.Iscsi.Server;

namespace Targetd.Tests.Iscsi;

/// <summary>The end of a large burst of buffered data is noticed, and its memory collected once, a little later.</summary>
public sealed class BurstMemoryReleaseTests
{
    private const long MiB = 1024 * 1024;

    [Test]
    public void A_budget_that_empties_after_a_large_burst_says_so_once()
    {
        var budget = new BufferBudget(256 * MiB) { BurstBytes = 64 * MiB };
        int ended = 0;
        budget.BurstEnded += () => ended++;

        for (int i = 0; i < 10; i++)
        {
            budget.TryTake(8 * MiB).Should().BeTrue();
        }

        for (int i = 0; i < 9; i++)
        {
            budget.Return(8 * MiB);
        }

        ended.Should().Be(0, "8 MiB are still held");
        budget.Return(8 * MiB);
        ended.Should().Be(1, "the burst held 80 MiB and is over");

        budget.TryTake(8 * MiB).Should().BeTrue();
        budget.Return(8 * MiB);
        ended.Should().Be(1, "an 8 MiB burst is not large");
    }

    [Test]
    public async Task The_end_of_a_burst_collects_once_after_the_interval()
    {
        var clock = new FakeTimeProvider();
        var budget = new BufferBudget(256 * MiB) { BurstBytes = 16 * MiB };
        var release = new BurstMemoryRelease(budget, clock);
        budget.TryTake(32 * MiB).Should().BeTrue();
        budget.Return(32 * MiB);
        budget.TryTake(32 * MiB).Should().BeTrue();
        budget.Return(32 * MiB); // a second burst end within the interval is folded into the first

        release.Collections.Should().Be(0, "the last buffers are given back just after the budget");
        clock.Advance(BurstMemoryRelease.MinimumInterval);
        for (int i = 0; i < 200 && release.Collections == 0; i++)
        {
            await Task.Delay(10);
        }

        release.Collections.Should().Be(1);
        clock.Advance(BurstMemoryRelease.MinimumInterval * 5);
        await Task.Delay(50);
        release.Collections.Should().Be(1, "nothing ended since");
    }
}
