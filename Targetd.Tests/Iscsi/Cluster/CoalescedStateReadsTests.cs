using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi.Reservations;

namespace Targetd.Tests.Iscsi.Cluster;

/// <summary>Commands arriving together share one read of the cluster's state, but never one that started before them.</summary>
public sealed class CoalescedStateReadsTests
{
    [Test]
    public async Task Commands_arriving_during_a_read_share_the_next_one_and_never_get_the_earlier_answer()
    {
        var state = new GatedSharedState();
        var reads = new CoalescedStateReads(state);
        var first = reads.ReadAsync(CancellationToken.None);
        var later = Enumerable.Range(0, 10).Select(_ => reads.ReadAsync(CancellationToken.None)).ToArray();

        state.Pending.Should().Be(1, "the later commands wait for a read of their own, not started while one is under way");
        state.Answer(1);
        (await first).Sequence.Should().Be(1);
        await WaitForAsync(() => state.Pending == 1);
        later.Should().OnlyContain(t => !t.IsCompleted, "an answer read before they arrived is not theirs");

        state.Answer(2);
        (await Task.WhenAll(later)).Select(v => v.Sequence).Should().OnlyContain(s => s == 2);
        reads.Reads.Should().Be(2, "eleven commands, two reads");
        state.Pending.Should().Be(0);
    }

    [Test]
    public async Task A_failed_read_fails_the_commands_that_shared_it_and_the_next_command_reads_again()
    {
        var state = new GatedSharedState();
        var reads = new CoalescedStateReads(state);
        var one = reads.ReadAsync(CancellationToken.None);
        state.Fail();
        await FluentActions.Awaiting(() => one).Should().ThrowAsync<IOException>();

        var two = reads.ReadAsync(CancellationToken.None);
        await WaitForAsync(() => state.Pending == 1);
        state.Answer(7);
        (await two).Sequence.Should().Be(7);
    }

    [Test]
    public async Task A_cancelled_command_stops_waiting_without_disturbing_the_others()
    {
        var state = new GatedSharedState();
        var reads = new CoalescedStateReads(state);
        using var cancel = new CancellationTokenSource();
        var kept = reads.ReadAsync(CancellationToken.None);
        var cancelled = reads.ReadAsync(cancel.Token);

        await cancel.CancelAsync();
        await FluentActions.Awaiting(() => cancelled).Should().ThrowAsync<OperationCanceledException>();
        state.Answer(3);
        (await kept).Sequence.Should().Be(3);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        condition().Should().BeTrue();
    }
}
