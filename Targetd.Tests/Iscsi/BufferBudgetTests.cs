using Targetd.Iscsi;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Server;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;

using Targetd.Tests.Support;

namespace Targetd.Tests.Iscsi;

/// <summary>
/// Commands hold data only within their session's and their registry's budgets: a flood of immediate reads with one
/// CmdSN whose replies are not read takes no more, other initiators are served meanwhile, and it is all given back.
/// </summary>
public sealed class BufferBudgetTests
{
    private const long MiB = 1024 * 1024;

    [Test]
    public void A_budget_refuses_what_would_pass_its_capacity_and_a_charge_takes_both_or_neither()
    {
        var session = new BufferBudget(10);
        var global = new BufferBudget(15);

        session.TryTake(8).Should().BeTrue();
        session.TryTake(3).Should().BeFalse();
        session.Peak.Should().Be(8);
        session.Return(8);
        BufferCharge.TryTake(session, global, 10, out var first).Should().BeTrue();
        var other = new BufferBudget(10);
        BufferCharge.TryTake(other, global, 6, out _).Should().BeFalse("the global budget has 5 left");
        other.InUse.Should().Be(0, "a refused charge leaves the session's budget as it was");

        first.Release();
        (session.InUse, global.InUse).Should().Be((0L, 0L), "a charge gives back both budgets");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Immediate_reads_with_one_cmdsn_that_are_never_read_hold_no_more_than_the_session_budget()
    {
        const int Reads = 40;
        const int Blocks = 16384; // 8 MiB
        await using var target = await LoopbackTarget.StartAsync(size: 64 * MiB);
        var budget = target.Registry.Buffers;

        // A small receive window: the socket cannot take even one read's 8 MiB, so no read finishes until the flooder reads.
        await using var flooder = await TestInitiator.ConnectAsync(target.EndPoint, receiveBufferSize: 4096);
        (await flooder.LoginAsync(LoopbackTarget.TargetName)).Should().Be(0);
        uint cmdSN = flooder.TakeCmdSN();
        for (uint i = 0; i < Reads; i++)
        {
            var header = new byte[BasicHeaderSegment.Size];
            var writer = new ScsiCommandPduWriter(header)
            {
                IsImmediate = true,
                Flags = ScsiCommandFlags.Final | ScsiCommandFlags.Read,
                Attribute = TaskAttribute.Simple,
                InitiatorTaskTag = 1000 + i,
                ExpectedDataTransferLength = Blocks * 512,
                CmdSN = cmdSN, // immediate, and the same CmdSN each time
            };
            Cdb.Read10(i % 8 * Blocks, Blocks).CopyTo(writer.Cdb);
            await flooder.SendAsync(header, []);
        }

        await using (var bystander = await TestInitiator.ConnectAsync(target.EndPoint))
        {
            (await bystander.LoginAsync(LoopbackTarget.TargetName, "iqn.2024-01.net.targetd.test:bystander")).Should().Be(0);
            await bystander.ClearUnitAttentionsAsync(0);
            var read = await bystander.ExecuteAsync(0, Cdb.Read10(0, 8), 4096, read: true);
            read.Status.Should().Be(ScsiStatus.Good, "another initiator is served during the flood");
        }

        budget.InUse.Should().BeGreaterThan(0).And.BeLessThanOrEqualTo(IscsiLimits.DefaultSessionBufferBytes);

        // The flooder reads at last: some reads were served, the rest ended with TASK SET FULL, and nothing is held after.
        var statuses = new List<ScsiStatus>();
        while (statuses.Count < Reads)
        {
            var pdu = await flooder.ReceiveAsync();
            if (pdu.Status is { } status)
            {
                statuses.Add(status);
            }
        }

        statuses.Should().OnlyContain(s => s == ScsiStatus.Good || s == ScsiStatus.TaskSetFull);
        statuses.Should().Contain(ScsiStatus.Good).And.Contain(ScsiStatus.TaskSetFull, "the reads beyond the budget were refused");
        budget.Peak.Should().BeLessThanOrEqualTo(IscsiLimits.DefaultSessionBufferBytes, "the flood never held more than the session's budget");
        for (int i = 0; i < 100 && budget.InUse > 0; i++)
        {
            await Task.Delay(20);
        }

        budget.InUse.Should().Be(0, "every answered command gave its share back");
    }

    [Test]
    public async Task The_registry_budget_is_shared_by_every_session()
    {
        await using var target = await LoopbackTarget.StartAsync(size: 16 * MiB, bufferBudget: 2 * MiB);
        await using var initiator = await target.LoginAsync();
        await initiator.ClearUnitAttentionsAsync(0);

        var tooLarge = await initiator.ExecuteAsync(0, Cdb.Read10(0, 8192), 4 * (int)MiB, read: true);
        var fits = await initiator.ExecuteAsync(0, Cdb.Read10(0, 2048), (int)MiB, read: true);

        tooLarge.Status.Should().Be(ScsiStatus.TaskSetFull, "4 MiB would pass the registry's 2 MiB");
        fits.Status.Should().Be(ScsiStatus.Good);

        // The share is given back once the response has left, which may be just after the initiator has it.
        await Eventually.TrueAsync(() => target.Registry.Buffers.InUse == 0);
    }
}
