using Targetd.Iscsi.Server;

namespace Targetd.Tests.Iscsi;

public sealed class IscsiTaskTests
{
    [Test]
    public void A_task_whose_response_is_claimed_cannot_be_aborted()
    {
        using var task = NewTask();

        task.TryBeginResponse().Should().BeTrue();

        task.TryAbort().Should().BeFalse();
        task.IsAborted.Should().BeFalse();
    }

    [Test]
    public void An_aborted_task_sends_no_response_and_stays_aborted()
    {
        using var task = NewTask();

        task.TryAbort().Should().BeTrue();

        task.TryBeginResponse().Should().BeFalse();
        task.IsAborted.Should().BeTrue();
        task.TryAbort().Should().BeTrue("aborting twice still reports the task aborted");
    }

    [Test]
    public async Task Racing_abort_and_response_never_both_win()
    {
        for (int i = 0; i < 2000; i++)
        {
            using var task = NewTask();
            using var start = new Barrier(2);
            var abort = Task.Run(() =>
            {
                start.SignalAndWait();
                return task.TryAbort();
            });
            var respond = Task.Run(() =>
            {
                start.SignalAndWait();
                return task.TryBeginResponse();
            });

            bool[] outcome = await Task.WhenAll(abort, respond);

            outcome.Should().ContainSingle(won => won, $"exactly one of abort and response wins (round {i})");
        }
    }

    private static IscsiTask NewTask() => new(1, 0, 0, new byte[16], 1, 0, isRead: false, isWrite: false);
}
