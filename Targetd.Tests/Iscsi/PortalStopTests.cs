using System.Net.Sockets;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Targets;
using Targetd.Iscsi.Wire;

namespace Targetd.Tests.Iscsi;

/// <summary>
/// <see cref="Targetd.Iscsi.IscsiPortal.StopAsync"/> over real loopback sockets: a graceful drain that lets commands
/// in flight finish, bounded by the drain timeout and the caller's token, and a stop that is for good.
/// </summary>
public sealed class PortalStopTests
{
    private const int GatedLun = 1;

    [Test]
    public async Task A_command_in_flight_completes_when_the_portal_stops_and_new_commands_are_answered_busy()
    {
        await using var target = await LoopbackTarget.StartAsync();
        var device = await GatedAsync(target, pattern: 0x5A);
        await using var initiator = await target.LoginAsync();
        uint read = await initiator.SendCommandAsync(GatedLun, Cdb.Read10(0, 1), 512, read: true);
        await device.ReadWaiting.Task.WaitAsync(TimeSpan.FromSeconds(5));

        var stop = target.Portal.StopAsync();
        var busy = await UntilBusyAsync(initiator);
        var refusedConnection = async () => await TestInitiator.ConnectAsync(target.EndPoint);

        busy.Status.Should().Be(ScsiStatus.Busy, "a command that arrives while the portal drains is not started");
        await refusedConnection.Should().ThrowAsync<SocketException>("the portal no longer accepts connections");
        stop.IsCompleted.Should().BeFalse("the read is still in flight");
        target.Registry.Sessions.Should().HaveCount(1);

        device.ReadGate!.TrySetResult();
        var response = await initiator.ReceiveAsync();
        await stop.WaitAsync(TimeSpan.FromSeconds(5));

        response.Opcode.Should().Be(IscsiOpcode.DataIn);
        response.InitiatorTaskTag.Should().Be(read);
        response.AsDataIn().HasStatus.Should().BeTrue("the status comes with the data");
        response.Status.Should().Be(ScsiStatus.Good);
        response.Data.Should().HaveCount(512).And.OnlyContain(b => b == 0x5A);
        (await initiator.IsClosedByTargetAsync()).Should().BeTrue("the connection closes once its commands are done");
        target.Registry.Sessions.Should().BeEmpty();
    }

    [Test]
    public async Task A_connection_that_has_not_logged_in_when_the_portal_stops_is_refused_as_service_unavailable()
    {
        await using var target = await LoopbackTarget.StartAsync();
        var device = await GatedAsync(target, pattern: 1);
        await using var busy = await target.LoginAsync();
        await busy.SendCommandAsync(GatedLun, Cdb.Read10(0, 1), 512, read: true);
        await device.ReadWaiting.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await using var late = await TestInitiator.ConnectAsync(target.EndPoint);
        await UntilAsync(() => target.Portal.ConnectionCount == 2);
        var refused = new TaskCompletionSource<IscsiLoginRefusedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        target.Registry.LoginRefused += (_, e) => refused.TrySetResult(e);

        var stop = target.Portal.StopAsync();
        await UntilBusyAsync(busy);
        ushort status = await late.LoginAsync(LoopbackTarget.TargetName);

        status.Should().Be(0x0301, "a stopping portal admits no new session (Service Unavailable: try again later)");
        (await refused.Task.WaitAsync(TimeSpan.FromSeconds(5))).Reason.Should().Be("service_unavailable");
        target.Registry.Sessions.Should().HaveCount(1, "only the session whose read is still in flight");
        device.ReadGate!.TrySetResult();
        await stop.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Test]
    public async Task The_token_cuts_the_drain_short_aborting_the_command_without_an_error()
    {
        await using var target = await LoopbackTarget.StartAsync();
        var device = await GatedAsync(target, pattern: 1);
        await using var initiator = await target.LoginAsync();
        var closed = new TaskCompletionSource<IscsiSessionEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        target.Registry.SessionClosed += (_, e) => closed.TrySetResult(e);
        await initiator.SendCommandAsync(GatedLun, Cdb.Read10(0, 1), 512, read: true);
        await device.ReadWaiting.Task.WaitAsync(TimeSpan.FromSeconds(5));

        using var patience = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var stop = target.Portal.StopAsync(patience.Token);

        await stop.WaitAsync(TimeSpan.FromSeconds(5));
        (await initiator.IsClosedByTargetAsync()).Should().BeTrue("no response comes for the aborted read");
        (await closed.Task.WaitAsync(TimeSpan.FromSeconds(5))).CloseReason.Should().Be(IscsiSessionCloseReason.PortalStopped);
    }

    [Test]
    public async Task The_drain_timeout_bounds_a_stop_without_a_token()
    {
        await using var target = await LoopbackTarget.StartAsync(drainTimeout: TimeSpan.FromMilliseconds(200));
        var device = await GatedAsync(target, pattern: 1);
        await using var initiator = await target.LoginAsync();
        await initiator.SendCommandAsync(GatedLun, Cdb.Read10(0, 1), 512, read: true);
        await device.ReadWaiting.Task.WaitAsync(TimeSpan.FromSeconds(5));

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        await target.Portal.StopAsync().WaitAsync(TimeSpan.FromSeconds(5));

        stopping.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(150), "the read was given its drain time");
        (await initiator.IsClosedByTargetAsync()).Should().BeTrue();
    }

    [Test]
    public async Task A_stopped_portal_cannot_start_again_and_a_second_stop_waits_for_the_first()
    {
        await using var target = await LoopbackTarget.StartAsync();

        var first = target.Portal.StopAsync();
        var second = target.Portal.StopAsync();
        await first;
        var restart = () => target.Portal.StartAsync();

        second.Should().BeSameAs(first);
        await restart.Should().ThrowAsync<ObjectDisposedException>();
    }

    [Test]
    public async Task Cancelling_the_start_token_stops_the_portal_gracefully()
    {
        using var stopSignal = new CancellationTokenSource();
        var registry = new IscsiTargetRegistry();
        await using var portal = new Targetd.Iscsi.IscsiPortal(registry, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        await portal.StartAsync(stopSignal.Token);
        var endPoint = portal.LocalEndPoint!;

        await stopSignal.CancelAsync();
        await portal.StopAsync().WaitAsync(TimeSpan.FromSeconds(5));
        var connect = async () => await TestInitiator.ConnectAsync(endPoint);

        await connect.Should().ThrowAsync<SocketException>();
    }

    /// <summary>TEST UNIT READY until the answer is not GOOD: the stop begins draining the connection a moment after it is called.</summary>
    private static async Task<ScsiReply> UntilBusyAsync(TestInitiator initiator)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var reply = await initiator.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false);
            if (reply.Status != ScsiStatus.Good || DateTime.UtcNow > deadline)
            {
                return reply;
            }

            await Task.Delay(10);
        }
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        condition().Should().BeTrue("the condition should hold within 5 s");
    }

    /// <summary>Maps a device at <see cref="GatedLun"/> whose reads wait for its gate; its blocks hold <paramref name="pattern"/>.</summary>
    private static async Task<PiecewiseBlockDevice> GatedAsync(LoopbackTarget target, byte pattern)
    {
        var memory = new MemoryBlockDevice(1024 * 1024);
        await memory.WriteAsync(0, Enumerable.Repeat(pattern, 4096).ToArray());
        var device = new PiecewiseBlockDevice(memory) { ReadGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        target.Target.AddLun(GatedLun, device);
        return device;
    }
}
