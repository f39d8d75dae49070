using System.Buffers.Binary;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Targets;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;
using Targetd.Tests.Support;

namespace Targetd.Tests.Iscsi;

/// <summary>The bounds of <see cref="IscsiLimits"/> over real loopback sessions.</summary>
public sealed class SessionLimitsTests
{
    private const ushort OutOfResources = 0x0302;
    private const string Alpha = "iqn.2024-01.net.targetd.test:alpha";
    private const string Beta = "iqn.2024-01.net.targetd.test:beta";
    private const string Gamma = "iqn.2024-01.net.targetd.test:gamma";

    [Test]
    [CancelAfter(30_000)]
    public async Task A_session_beyond_the_targets_limit_is_refused_with_out_of_resources_until_one_ends()
    {
        var log = new CollectingLoggerFactory();
        await using var target = await LoopbackTarget.StartAsync(limits: new IscsiLimits { MaxSessionsPerTarget = 2 }, loggerFactory: log);
        var refusals = new List<IscsiLoginRefusedEventArgs>();
        target.Registry.LoginRefused += (_, e) => refusals.Add(e);
        await using var first = await LoginAsync(target, Alpha);
        await using var second = await LoginAsync(target, Beta);

        await using (var third = await TestInitiator.ConnectAsync(target.EndPoint))
        {
            (await third.LoginAsync(LoopbackTarget.TargetName, Gamma)).Should().Be(OutOfResources);
            (await third.IsClosedByTargetAsync()).Should().BeTrue();
        }

        await using (var discovery = await TestInitiator.ConnectAsync(target.EndPoint))
        {
            (await discovery.LoginAsync(null, Gamma)).Should().Be(0, "discovery sessions are not counted");
        }

        refusals.Should().ContainSingle().Which.Reason.Should().Be("out_of_resources");
        log.Logger.Entries.Should().Contain(e => e.Message.Contains("max_sessions_per_target (2) reached on " + LoopbackTarget.TargetName, StringComparison.Ordinal));

        (await first.LogoutAsync()).Opcode.Should().Be(IscsiOpcode.LogoutResponse);
        await Eventually.TrueAsync(() => target.Registry.Sessions.Count == 1);
        await using var fourth = await LoginAsync(target, Gamma);
        target.Registry.Sessions.Should().HaveCount(2);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_login_that_reinstates_a_session_is_admitted_at_the_limit_and_ends_the_old_session()
    {
        await using var target = await LoopbackTarget.StartAsync(limits: new IscsiLimits { MaxSessionsPerTarget = 1, MaxSessionsPerInitiator = 1 });
        await using var old = await LoginAsync(target, Alpha);

        await using var again = await LoginAsync(target, Alpha);

        (await old.IsClosedByTargetAsync()).Should().BeTrue("the new session of the same initiator and ISID replaces it");
        await Eventually.TrueAsync(() => target.Registry.Sessions.Count == 1);
        await using var other = await TestInitiator.ConnectAsync(target.EndPoint);
        (await other.LoginAsync(LoopbackTarget.TargetName, Beta)).Should().Be(OutOfResources, "the reinstated session still counts");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task An_initiator_beyond_its_limit_across_targets_is_refused_while_others_log_in()
    {
        await using var target = await LoopbackTarget.StartAsync(limits: new IscsiLimits { MaxSessionsPerInitiator = 2 });
        const string Second = "iqn.2024-01.net.targetd.test:second";
        var second = new IscsiTarget(Second);
        await using var device = new MemoryBlockDevice(1 << 20);
        second.AddLun(0, device);
        target.Registry.Add(second);

        await using var one = await LoginAsync(target, Alpha);
        await using var two = await TestInitiator.ConnectAsync(target.EndPoint);
        (await two.LoginAsync(Second, Alpha)).Should().Be(0);
        await using var three = await TestInitiator.ConnectAsync(target.EndPoint);
        three.Isid = 0x8000_0001_0002;
        (await three.LoginAsync(LoopbackTarget.TargetName, Alpha.ToUpperInvariant())).Should().Be(OutOfResources, "initiator names compare without case");

        await using var bystander = await LoginAsync(target, Beta);
        await bystander.ClearUnitAttentionsAsync(0);
        (await bystander.ExecuteAsync(0, Cdb.Read10(0, 1), 512, read: true)).Status.Should().Be(ScsiStatus.Good);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_connection_beyond_the_portals_limit_is_closed_before_anything_is_read_and_logged_once()
    {
        var log = new CollectingLoggerFactory();
        await using var target = await LoopbackTarget.StartAsync(limits: new IscsiLimits { MaxConnectionsPerPortal = 2 }, loggerFactory: log);
        await using var idle = await TestInitiator.ConnectAsync(target.EndPoint);
        await using var session = await LoginAsync(target, Alpha);
        await Eventually.TrueAsync(() => target.Portal.ConnectionCount == 2);

        for (int i = 0; i < 3; i++)
        {
            await using var refused = await TestInitiator.ConnectAsync(target.EndPoint);
            var login = async () => await refused.LoginStepAsync(0, 1, transit: true, [new("InitiatorName", Beta), new("TargetName", LoopbackTarget.TargetName), new("AuthMethod", "None")]);
            await login.Should().ThrowAsync<Exception>("the connection is closed unanswered");
        }

        target.Portal.ConnectionCount.Should().Be(2);
        await idle.DisposeAsync();
        await Eventually.TrueAsync(() => target.Portal.ConnectionCount == 1);
        await using var next = await LoginAsync(target, Beta);

        var entries = log.Logger.Entries;
        entries.Should().ContainSingle(e => e.Message.Contains("serves 2 connections (max_connections_per_portal)", StringComparison.Ordinal));
        entries.Should().ContainSingle(e => e.Message.Contains("accepts connections again; 3 were closed", StringComparison.Ordinal));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task The_queue_depth_sets_the_command_window_and_a_command_beyond_it_ends_with_task_set_full()
    {
        await using var target = await LoopbackTarget.StartAsync(limits: new IscsiLimits { QueueDepth = 4 });
        await using var initiator = await LoginAsync(target, Alpha);
        await initiator.ClearUnitAttentionsAsync(0);

        var nop = await initiator.NopAsync([]);
        (nop.MaxCmdSN - nop.ExpCmdSN).Should().Be(3u, "the window holds 4 commands");

        for (uint i = 0; i < 4; i++)
        {
            await SendWriteWithoutDataAsync(initiator, 0x7000 + i, 8, initiator.TakeCmdSN(), immediate: false);
        }

        await SendWriteWithoutDataAsync(initiator, 0x7100, 8, initiator.TakeCmdSN(), immediate: true);
        (await ResponseStatusAsync(initiator, 0x7100)).Should().Be(ScsiStatus.TaskSetFull);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task The_session_buffer_budget_refuses_a_command_whose_data_would_pass_it()
    {
        await using var target = await LoopbackTarget.StartAsync(size: 64 << 20, limits: new IscsiLimits { SessionBufferBytes = 8 << 20 });
        await using var initiator = await LoginAsync(target, Alpha);
        await initiator.ClearUnitAttentionsAsync(0);

        await SendWriteWithoutDataAsync(initiator, 0x7000, 16384, initiator.TakeCmdSN(), immediate: false); // 8 MiB, its data never sent
        await SendWriteWithoutDataAsync(initiator, 0x7001, 8, initiator.TakeCmdSN(), immediate: false);

        (await ResponseStatusAsync(initiator, 0x7001)).Should().Be(ScsiStatus.TaskSetFull, "the session holds its 8 MiB already");
        target.Registry.Buffers.InUse.Should().Be(8 << 20);
        await using var other = await LoginAsync(target, Beta);
        await other.ClearUnitAttentionsAsync(0);
        (await other.ExecuteAsync(0, Cdb.Read10(0, 8), 4096, read: true)).Status.Should().Be(ScsiStatus.Good, "the budget is the session's own");
    }

    private static async Task<TestInitiator> LoginAsync(LoopbackTarget target, string initiatorName)
    {
        var initiator = await TestInitiator.ConnectAsync(target.EndPoint);
        (await initiator.LoginAsync(LoopbackTarget.TargetName, initiatorName)).Should().Be(0, $"{initiatorName} should log in");
        return initiator;
    }

    /// <summary>A WRITE (10) of <paramref name="blocks"/> blocks whose data is never sent: it holds its task and buffer.</summary>
    private static Task SendWriteWithoutDataAsync(TestInitiator initiator, uint itt, int blocks, uint cmdSN, bool immediate)
    {
        var header = new byte[BasicHeaderSegment.Size];
        var command = new ScsiCommandPduWriter(header)
        {
            IsImmediate = immediate,
            Flags = ScsiCommandFlags.Final | ScsiCommandFlags.Write,
            Attribute = TaskAttribute.Simple,
            InitiatorTaskTag = itt,
            ExpectedDataTransferLength = (uint)blocks * 512,
            CmdSN = cmdSN,
        };
        Cdb.Write10(0, (ushort)blocks).CopyTo(command.Cdb);
        return initiator.SendAsync(header, []);
    }

    /// <summary>The status of the SCSI Response to task <paramref name="itt"/>, skipping the R2Ts of others.</summary>
    private static async Task<ScsiStatus> ResponseStatusAsync(TestInitiator initiator, uint itt)
    {
        while (true)
        {
            var pdu = await initiator.ReceiveAsync();
            if (pdu.Opcode == IscsiOpcode.ScsiResponse && pdu.InitiatorTaskTag == itt)
            {
                return pdu.AsScsiResponse().Status;
            }
        }
    }
}
