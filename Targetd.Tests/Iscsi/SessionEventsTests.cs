using System.Net;
using Microsoft.Extensions.Logging;
using Targetd.Iscsi.Targets;
using Targetd.Tests.Support;

namespace Targetd.Tests.Iscsi;

/// <summary>
/// <see cref="IscsiTargetRegistry.SessionOpened"/> and <see cref="IscsiTargetRegistry.SessionClosed"/> for real logins
/// over loopback, and how refused logins are logged.
/// </summary>
public sealed class SessionEventsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    [Test]
    public async Task A_chap_login_and_its_logout_raise_opened_and_closed_with_the_session()
    {
        await using var target = await LoopbackTarget.StartAsync();
        target.Target.Chap = new ChapCredentials("alice", "alice-secret-1");
        var events = Record(target.Registry);
        var listedWhenOpened = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listedWhenClosed = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        target.Registry.SessionOpened += (sender, _) => listedWhenOpened.TrySetResult(((IscsiTargetRegistry)sender!).Sessions.Count);
        target.Registry.SessionClosed += (sender, _) => listedWhenClosed.TrySetResult(((IscsiTargetRegistry)sender!).Sessions.Count);

        await using var initiator = await target.LoginAsync(chap: ("alice", "alice-secret-1"));
        var opened = await events.Opened.Task.WaitAsync(Patience);
        await initiator.LogoutAsync();
        var closed = await events.Closed.Task.WaitAsync(Patience);

        opened.InitiatorName.Should().Be(TestInitiator.DefaultName);
        opened.TargetName.Should().Be(LoopbackTarget.TargetName);
        opened.Tsih.Should().Be(initiator.Tsih).And.NotBe(0);
        var remote = (IPEndPoint)opened.RemoteEndPoint!;
        var initiatorSide = (IPEndPoint)initiator.LocalEndPoint!;
        remote.Port.Should().Be(initiatorSide.Port, "the event names the initiator's end of the connection");
        remote.Address.MapToIPv4().Should().Be(initiatorSide.Address.MapToIPv4());
        opened.CloseReason.Should().BeNull();
        (await listedWhenOpened.Task).Should().Be(1, "the session is listed when SessionOpened is raised");
        closed.Session.Should().Be(opened.Session);
        closed.CloseReason.Should().Be(IscsiSessionCloseReason.Logout);
        (await listedWhenClosed.Task).Should().Be(0, "the session is gone from the list when SessionClosed is raised");
    }

    [Test]
    public async Task A_discovery_session_is_reported_without_a_target_and_a_dropped_connection_as_lost()
    {
        await using var target = await LoopbackTarget.StartAsync();
        var events = Record(target.Registry);

        var initiator = await target.LoginAsync(targetName: null);
        var opened = await events.Opened.Task.WaitAsync(Patience);
        await initiator.DisposeAsync();
        var closed = await events.Closed.Task.WaitAsync(Patience);

        opened.TargetName.Should().BeNull();
        opened.Session.IsDiscovery.Should().BeTrue();
        closed.CloseReason.Should().Be(IscsiSessionCloseReason.ConnectionLost);
    }

    [Test]
    public async Task Removing_the_target_closes_its_session_with_that_reason()
    {
        await using var target = await LoopbackTarget.StartAsync();
        var events = Record(target.Registry);
        await using var initiator = await target.LoginAsync();
        await events.Opened.Task.WaitAsync(Patience);

        target.Registry.Remove(LoopbackTarget.TargetName);

        (await events.Closed.Task.WaitAsync(Patience)).CloseReason.Should().Be(IscsiSessionCloseReason.TargetRemoved);
    }

    [Test]
    public async Task A_throwing_handler_is_logged_and_the_session_goes_on()
    {
        using var logs = new CollectingLoggerFactory();
        await using var target = await LoopbackTarget.StartAsync(loggerFactory: logs);
        target.Registry.SessionOpened += (_, _) => throw new InvalidOperationException("handler bug");

        await using var initiator = await target.LoginAsync();
        var reply = await initiator.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false);

        reply.Status.Should().Be(Targetd.Iscsi.Scsi.ScsiStatus.Good);
        logs.Logger.Entries.Should().Contain(e => e.Level == LogLevel.Warning && e.Message.Contains("handler of a session event failed", StringComparison.Ordinal));
    }

    [Test]
    public async Task A_wrong_chap_secret_raises_login_refused_with_who_asked_for_what_and_why_and_opens_no_session()
    {
        await using var target = await LoopbackTarget.StartAsync();
        target.Target.Chap = new ChapCredentials("alice", "alice-secret-1");
        var refused = new TaskCompletionSource<IscsiLoginRefusedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var events = Record(target.Registry);
        target.Registry.LoginRefused += (_, e) => refused.TrySetResult(e);

        await using var initiator = await TestInitiator.ConnectAsync(target.EndPoint);
        ushort status = await initiator.LoginAsync(LoopbackTarget.TargetName, chap: ("alice", "wrong-secret-99"));
        var refusal = await refused.Task.WaitAsync(Patience);

        status.Should().Be(0x0201);
        refusal.InitiatorName.Should().Be(TestInitiator.DefaultName);
        refusal.TargetName.Should().Be(LoopbackTarget.TargetName);
        refusal.IsDiscovery.Should().BeFalse();
        ((IPEndPoint)refusal.RemoteEndPoint!).Port.Should().Be(((IPEndPoint)initiator.LocalEndPoint!).Port);
        refusal.Status.Should().Be(0x0201);
        refusal.Reason.Should().Be("authentication_failure");
        events.Opened.Task.IsCompleted.Should().BeFalse("a refused login opens no session");
        target.Registry.Sessions.Should().BeEmpty();
    }

    [Test]
    public async Task A_login_to_a_missing_target_and_one_with_a_bad_name_raise_login_refused_with_what_was_sent()
    {
        await using var target = await LoopbackTarget.StartAsync();
        var refusals = new List<IscsiLoginRefusedEventArgs>();
        target.Registry.LoginRefused += (_, e) => { lock (refusals) { refusals.Add(e); } };
        const string missing = "iqn.2024-01.net.targetd.test:missing";

        await using (var initiator = await TestInitiator.ConnectAsync(target.EndPoint))
        {
            (await initiator.LoginAsync(missing)).Should().Be(0x0203);
        }

        await using (var initiator = await TestInitiator.ConnectAsync(target.EndPoint))
        {
            (await initiator.LoginAsync(null, initiatorName: "not-an-iscsi-name")).Should().Be(0x0207);
        }

        lock (refusals)
        {
            refusals.Should().HaveCount(2, "each refusal is raised before its Login Response is sent");
            refusals[0].TargetName.Should().Be(missing);
            refusals[0].Reason.Should().Be("not_found");
            refusals[1].InitiatorName.Should().BeNull("the name sent is not an iSCSI name");
            refusals[1].IsDiscovery.Should().BeTrue();
            refusals[1].TargetName.Should().BeNull();
            refusals[1].Reason.Should().Be("missing_parameter");
        }
    }

    [Test]
    public async Task A_refused_login_is_a_warning_naming_the_target_asked_for_and_the_reason()
    {
        using var logs = new CollectingLoggerFactory();
        await using var target = await LoopbackTarget.StartAsync(loggerFactory: logs);
        const string missing = "iqn.2024-01.net.targetd.test:missing";

        await using (var initiator = await TestInitiator.ConnectAsync(target.EndPoint))
        {
            (await initiator.LoginAsync(missing)).Should().Be(0x0203);
        }

        await using (var initiator = await TestInitiator.ConnectAsync(target.EndPoint))
        {
            (await initiator.LoginAsync(null, initiatorName: "not-an-iscsi-name")).Should().Be(0x0207);
        }

        var refusals = logs.Logger.Entries.Where(e => e.Message.Contains("refused", StringComparison.Ordinal)).ToList();
        refusals.Should().HaveCount(2).And.OnlyContain(e => e.Level == LogLevel.Warning);
        refusals[0].Fields["Target"].Should().Be(missing);
        refusals[0].Fields["Reason"].Should().Be("not_found");
        refusals[0].Message.Should().NotContain("discovery");
        refusals[1].Fields["Target"].Should().Be("discovery", "that one was a discovery session");
        refusals[1].Fields["Reason"].Should().Be("missing_parameter");
    }

    private static (TaskCompletionSource<IscsiSessionEventArgs> Opened, TaskCompletionSource<IscsiSessionEventArgs> Closed) Record(IscsiTargetRegistry registry)
    {
        var opened = new TaskCompletionSource<IscsiSessionEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = new TaskCompletionSource<IscsiSessionEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        registry.SessionOpened += (_, e) => opened.TrySetResult(e);
        registry.SessionClosed += (_, e) => closed.TrySetResult(e);
        return (opened, closed);
    }
}
