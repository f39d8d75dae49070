using Targetd.Iscsi.Targets;

namespace Targetd.Tests.Iscsi;

/// <summary>Changing an initiator's credentials or withdrawing its admission ends the sessions it already has.</summary>
public sealed class AdmissionWithdrawnTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);
    private const string Other = "iqn.2024-01.net.targetd.test:bystander";

    [Test]
    public async Task A_rotated_secret_ends_the_sessions_logged_in_with_the_old_one_and_only_the_new_one_logs_in()
    {
        await using var target = await LoopbackTarget.StartAsync();
        target.Target.AllowInitiator(TestInitiator.DefaultName, new ChapCredentials("alice", "alice-secret-1"));
        target.Target.AllowInitiator(Other);
        var closed = Closed(target.Registry);
        await using var old = await target.LoginAsync(chap: ("alice", "alice-secret-1"));
        await using var bystander = await TestInitiator.ConnectAsync(target.EndPoint);
        (await bystander.LoginAsync(LoopbackTarget.TargetName, Other)).Should().Be(0);

        target.Target.AllowInitiator(TestInitiator.DefaultName, new ChapCredentials("alice", "alice-secret-2"));

        (await closed.Task.WaitAsync(Patience)).Should().Be((TestInitiator.DefaultName, IscsiSessionCloseReason.AdmissionWithdrawn));
        (await old.IsClosedByTargetAsync()).Should().BeTrue();
        await using (var stale = await TestInitiator.ConnectAsync(target.EndPoint))
        {
            (await stale.LoginAsync(LoopbackTarget.TargetName, chap: ("alice", "alice-secret-1"))).Should().Be(0x0201, "the old secret no longer proves anything");
        }

        await using var fresh = await target.LoginAsync(chap: ("alice", "alice-secret-2"));
        (await fresh.NopAsync([5])).Data.Should().Equal(5);
        (await bystander.NopAsync([1, 2, 3, 4])).Data.Should().Equal(1, 2, 3, 4);
        target.Registry.Sessions.Select(s => s.InitiatorName).Should().BeEquivalentTo([Other, TestInitiator.DefaultName], "the other initiator's session is untouched");
    }

    [Test]
    public async Task The_same_credentials_set_again_leave_the_session_alone()
    {
        await using var target = await LoopbackTarget.StartAsync();
        target.Target.AllowInitiator(TestInitiator.DefaultName, new ChapCredentials("alice", "alice-secret-1"));
        await using var session = await target.LoginAsync(chap: ("alice", "alice-secret-1"));

        target.Target.AllowInitiator(TestInitiator.DefaultName, new ChapCredentials("alice", "alice-secret-1"));

        (await session.NopAsync([9])).Data.Should().Equal(9);
        target.Registry.Sessions.Should().ContainSingle();
    }

    [Test]
    public async Task A_withdrawn_admission_ends_the_session_and_refuses_the_next_login()
    {
        await using var target = await LoopbackTarget.StartAsync();
        target.Target.AllowInitiator(TestInitiator.DefaultName);
        target.Target.AllowInitiator(Other);
        var closed = Closed(target.Registry);
        await using var session = await target.LoginAsync();

        target.Target.RemoveInitiator(TestInitiator.DefaultName).Should().BeTrue();

        (await closed.Task.WaitAsync(Patience)).Should().Be((TestInitiator.DefaultName, IscsiSessionCloseReason.AdmissionWithdrawn));
        (await session.IsClosedByTargetAsync()).Should().BeTrue();
        await using var again = await TestInitiator.ConnectAsync(target.EndPoint);
        (await again.LoginAsync(LoopbackTarget.TargetName)).Should().NotBe(0);
    }

    private static TaskCompletionSource<(string? Initiator, IscsiSessionCloseReason? Reason)> Closed(IscsiTargetRegistry registry)
    {
        var closed = new TaskCompletionSource<(string?, IscsiSessionCloseReason?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        registry.SessionClosed += (_, e) => closed.TrySetResult((e.Session.InitiatorName, e.CloseReason));
        return closed;
    }
}
