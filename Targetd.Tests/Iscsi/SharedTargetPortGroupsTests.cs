using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi;
using Targetd.Tests.Iscsi.Cluster;

namespace Targetd.Tests.Iscsi;

/// <summary>Implicit ALUA across gateways (SPC-4 §5.16): the groups a device several gateways serve reports, and their states.</summary>
public sealed class SharedTargetPortGroupsTests
{
    private const string Target = "iqn.2024-01.net.targetd.test:alua";
    private const string Serial = "0123456789abcdef0123456789abcdef";
    private const string Port = "iqn.2024-01.net.targetd.test:host,i,0x1";

    private readonly List<MemoryBlockDevice> _disks = [];

    [TearDown]
    public async Task TearDownAsync()
    {
        foreach (var disk in _disks)
        {
            await disk.DisposeAsync();
        }
    }

    [Test]
    public async Task A_shared_device_reports_every_group_with_the_owner_preferred_and_active_optimized()
    {
        var unit = Unit(shared: true, new TargetPortGroupSettings(2, [3, 1, 2], AluaOptimizedRule.First));

        var (result, data) = await RunAsync(unit, Cdb.ReportTargetPortGroups());

        result.Status.Should().Be(ScsiStatus.Good);
        data.Should().Equal(
            0x00, 0x00, 0x00, 0x24, // RETURN DATA LENGTH: three descriptors of 12 bytes
            0x80, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, // PREF, active/optimized; AO_SUP, AN_SUP; group 1; one port
            0x00, 0x00, 0x00, 0x01, // relative target port 1
            0x01, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, // active/non-optimized; AO_SUP, AN_SUP; group 2; one port
            0x00, 0x00, 0x00, 0x02,
            0x01, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, // group 3
            0x00, 0x00, 0x00, 0x03);
    }

    [Test]
    public async Task The_extended_header_precedes_the_same_descriptors()
    {
        var unit = Unit(shared: true, new TargetPortGroupSettings(1, [1, 2], AluaOptimizedRule.First));

        var (_, data) = await RunAsync(unit, Cdb.ReportTargetPortGroups(format: 1));

        data.Should().Equal(
            0x00, 0x00, 0x00, 0x1C, 0x10, 0x00, 0x00, 0x00, // RETURN DATA LENGTH 28; FORMAT TYPE 001b; IMPLICIT TRANSITION TIME 0
            0x80, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
            0x01, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02);
    }

    [Test]
    public async Task A_device_only_this_gateway_serves_reports_its_group_alone()
    {
        var unit = Unit(shared: false, new TargetPortGroupSettings(7, [1, 7], AluaOptimizedRule.First));

        var (_, data) = await RunAsync(unit, Cdb.ReportTargetPortGroups());
        var (_, page) = await RunAsync(unit, Cdb.Inquiry(true, 0x83));

        data.Should().Equal(
            0x00, 0x00, 0x00, 0x0C,
            0x80, 0x01, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01, // PREF, active/optimized; AO_SUP only; group 7
            0x00, 0x00, 0x00, 0x07);
        page[^16..].Should().Equal(
            0x51, 0x94, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07, // relative target port 7
            0x51, 0x95, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07); // target port group 7
    }

    [Test]
    public async Task The_device_identification_page_names_this_gateways_port_and_group_on_a_shared_device()
    {
        var unit = Unit(shared: true, new TargetPortGroupSettings(513, [1, 513], AluaOptimizedRule.Spread));

        var (_, page) = await RunAsync(unit, Cdb.Inquiry(true, 0x83));

        page[^16..].Should().Equal(
            0x51, 0x94, 0x00, 0x04, 0x00, 0x00, 0x02, 0x01, // relative target port 513
            0x51, 0x95, 0x00, 0x04, 0x00, 0x00, 0x02, 0x01); // target port group 513
        ((page[2] << 8) | page[3]).Should().Be(page.Length - 4);
    }

    [Test]
    public async Task A_change_of_the_access_states_is_announced_once_to_every_nexus()
    {
        var unit = Unit(shared: true, new TargetPortGroupSettings(1, [1, 2], AluaOptimizedRule.First));
        unit.AttachNexus(1, Port, () => ValueTask.CompletedTask);
        (await RunAsync(unit, Cdb.TestUnitReady())).Result.Status.Should().Be(ScsiStatus.Good);

        unit.Device.ApplyPortGroups(new TargetPortGroupSettings(1, [1, 2], AluaOptimizedRule.First)).Should().BeFalse("nothing changed");
        (await RunAsync(unit, Cdb.TestUnitReady())).Result.Status.Should().Be(ScsiStatus.Good);
        unit.Device.ApplyPortGroups(new TargetPortGroupSettings(2, [2, 3], AluaOptimizedRule.First)).Should().BeTrue();
        var (changed, _) = await RunAsync(unit, Cdb.TestUnitReady());
        var (after, _) = await RunAsync(unit, Cdb.TestUnitReady());

        changed.Status.Should().Be(ScsiStatus.CheckCondition);
        changed.Sense!.Value.Key.Should().Be(SenseKey.UnitAttention);
        (changed.Sense.Value.Asc, changed.Sense.Value.Ascq).Should().Be(((byte)0x2A, (byte)0x06));
        after.Status.Should().Be(ScsiStatus.Good);
    }

    private ScsiLogicalUnit Unit(bool shared, TargetPortGroupSettings settings)
    {
        var disk = new MemoryBlockDevice(1024 * 1024);
        _disks.Add(disk);
        IBlockDevice medium = shared ? new SharedMemoryBlockDevice(disk, new InMemorySharedState()) : disk;
        var device = new ScsiDevice(medium, Serial);
        device.ApplyPortGroups(settings);
        return new ScsiLogicalUnit(device, Target, 0);
    }

    private static async Task<(ScsiResult Result, byte[] Data)> RunAsync(ScsiLogicalUnit unit, byte[] cdb)
    {
        var buffer = new byte[255];
        var cdb16 = new byte[16];
        cdb.CopyTo(cdb16, 0);
        var result = await unit.ExecuteAsync(new ScsiRequest(cdb16, 1, Array.Empty<byte>(), buffer, Port), CancellationToken.None);
        return (result, buffer[..result.DataInLength]);
    }
}
