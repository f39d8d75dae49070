using System.Buffers.Binary;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi;

namespace Targetd.Tests.Iscsi;

/// <summary>REPORTED LUNS DATA HAS CHANGED (SAM-5 §5.14, SPC-4 §6.33) after LUNs are added and removed under running sessions.</summary>
public sealed class LunInventoryTests
{
    private const string Other = "iqn.2024-01.net.targetd.test:other";

    [Test]
    public async Task A_lun_added_under_a_session_is_announced_once_on_each_lun_it_sees()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using var initiator = await target.LoginAsync();
        (await initiator.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false)).Status.Should().Be(ScsiStatus.Good);

        target.Target.AddLun(5, new MemoryBlockDevice(1024 * 1024));

        (await initiator.ExecuteAsync(0, Cdb.Inquiry(), 255, read: true)).Status.Should().Be(ScsiStatus.Good, "INQUIRY never reports a unit attention");
        AssertChanged(await initiator.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false));
        (await initiator.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false)).Status.Should().Be(ScsiStatus.Good, "reported once per LUN");
        AssertChanged(await initiator.ExecuteAsync(5, Cdb.Read10(0, 1), 512, read: true));
        (await initiator.ExecuteAsync(5, Cdb.Read10(0, 1), 512, read: true)).Status.Should().Be(ScsiStatus.Good);
    }

    [Test]
    public async Task Report_luns_clears_the_attention_on_every_lun_and_lists_the_new_inventory()
    {
        await using var target = await LoopbackTarget.StartAsync();
        target.Target.AddLun(2, new MemoryBlockDevice(1024 * 1024));
        await using var initiator = await target.LoginAsync();
        (await initiator.ExecuteAsync(2, Cdb.TestUnitReady(), 0, read: false)).Status.Should().Be(ScsiStatus.Good, "a session starts with the inventory of its login");

        target.Target.RemoveLun(2).Should().BeTrue();
        target.Target.AddLun(7, new MemoryBlockDevice(1024 * 1024));
        var luns = await initiator.ExecuteAsync(0, Cdb.ReportLuns(), 4096, read: true);

        luns.Status.Should().Be(ScsiStatus.Good);
        BinaryPrimitives.ReadUInt32BigEndian(luns.Data).Should().Be(16, "LUNs 0 and 7");
        luns.Data[17].Should().Be(7);
        (await initiator.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false)).Status.Should().Be(ScsiStatus.Good);
        (await initiator.ExecuteAsync(7, Cdb.TestUnitReady(), 0, read: false)).Status.Should().Be(ScsiStatus.Good);
    }

    [Test]
    public async Task A_change_to_one_initiators_own_mapping_is_announced_to_it_alone()
    {
        await using var target = await LoopbackTarget.StartAsync();
        target.Target.MapLun(Other, 0, new MemoryBlockDevice(1024 * 1024), "other-0");
        await using var shared = await target.LoginAsync();
        await using var mapped = await TestInitiator.ConnectAsync(target.EndPoint);
        (await mapped.LoginAsync(LoopbackTarget.TargetName, Other)).Should().Be(0);

        target.Target.MapLun(Other, 1, new MemoryBlockDevice(1024 * 1024), "other-1");

        (await shared.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false)).Status.Should().Be(ScsiStatus.Good, "the shared LUNs did not change");
        AssertChanged(await mapped.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false));

        target.Target.UnmapLun(Other, 0).Should().BeTrue();
        target.Target.UnmapLun(Other, 1).Should().BeTrue();
        AssertChanged(await mapped.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false), "it now sees the target's own LUNs");
        (await shared.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false)).Status.Should().Be(ScsiStatus.Good);
    }

    [Test]
    public async Task Request_sense_returns_the_attention_as_its_data_and_clears_it()
    {
        await using var target = await LoopbackTarget.StartAsync();
        await using var initiator = await target.LoginAsync();

        target.Target.AddLun(4, new MemoryBlockDevice(1024 * 1024));
        var sense = await initiator.ExecuteAsync(0, Cdb.RequestSense(), 18, read: true);

        sense.Status.Should().Be(ScsiStatus.Good);
        sense.Data.Should().HaveCount(18);
        (sense.Data[2] & 0x0F).Should().Be(0x06, "UNIT ATTENTION");
        sense.Data[12].Should().Be(0x3F);
        sense.Data[13].Should().Be(0x0E);
        (await initiator.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false)).Status.Should().Be(ScsiStatus.Good, "REQUEST SENSE took it");
    }

    private static void AssertChanged(ScsiReply reply, string because = "")
    {
        reply.Status.Should().Be(ScsiStatus.CheckCondition, because);
        reply.SenseKey.Should().Be(0x06, "UNIT ATTENTION");
        reply.Asc.Should().Be(0x3F);
        reply.Sense[13].Should().Be(0x0E, "REPORTED LUNS DATA HAS CHANGED");
    }
}
