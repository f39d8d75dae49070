using System.Buffers.Binary;
using Targetd.Iscsi.Scsi;
using Targetd.Qcow2;
using static Targetd.Tests.Iscsi.ReservationDriver;

namespace Targetd.Tests.Iscsi;

/// <summary>A device grown in place: every view reports the new capacity after one CAPACITY DATA HAS CHANGED per nexus.</summary>
public sealed class ScsiDeviceCapacityTests
{
    private const string TargetName = "iqn.2024-01.net.targetd.test:capacity";

    [Test]
    public async Task Every_nexus_of_every_view_meets_capacity_data_has_changed_once_then_reads_the_new_capacity()
    {
        var folder = Directory.CreateTempSubdirectory("scsi-capacity-");
        try
        {
            await using var image = await Qcow2Image.CreateAsync(Path.Combine(folder.FullName, "grow.qcow2"), new Qcow2CreateOptions { Size = 1 << 20 });
            var device = new ScsiDevice(image, "capacity-views");
            var a = new ScsiLogicalUnit(device, TargetName, 0);
            var b = new ScsiLogicalUnit(device, TargetName, 5);
            a.AttachNexus(First.Nexus, First.Port, () => ValueTask.CompletedTask);
            b.AttachNexus(Second.Nexus, Second.Port, () => ValueTask.CompletedTask);
            (await CapacityAsync(b, Second)).Should().Be(1 << 20);

            device.RefreshCapacity().Should().BeFalse("nothing changed yet");
            (await RunAsync(a, First, Cdb.TestUnitReady())).Result.Status.Should().Be(ScsiStatus.Good, "no attention without a change");

            await image.ResizeAsync(3 << 20);
            (await CapacityAsync(a, First)).Should().Be(1 << 20, "the device reports what it was told");
            device.RefreshCapacity().Should().BeTrue();

            foreach (var (unit, initiator) in new[] { (a, First), (b, Second) })
            {
                var (attention, _) = await RunAsync(unit, initiator, Cdb.Write10(0, 1), 0, new byte[512]);
                attention.Sense.Should().Be(Sense.CapacityDataHasChanged());
                attention.Sense!.Value.ToArray()[12..14].Should().Equal(0x2A, 0x09);
                (await RunAsync(unit, initiator, Cdb.TestUnitReady())).Result.Status.Should().Be(ScsiStatus.Good, "reported once");
                (await CapacityAsync(unit, initiator)).Should().Be(3 << 20);
            }

            var (beyondOld, _) = await RunAsync(b, Second, Cdb.Write10((2 << 20) / 512, 1), 0, new byte[512]);
            beyondOld.Status.Should().Be(ScsiStatus.Good, "the grown blocks are addressable");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<long> CapacityAsync(ScsiLogicalUnit unit, ReservationInitiator initiator)
    {
        var (result, data) = await RunAsync(unit, initiator, Cdb.ReadCapacity16(), 32);
        result.Status.Should().Be(ScsiStatus.Good);
        return ((long)BinaryPrimitives.ReadUInt64BigEndian(data) + 1) * BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(8));
    }
}
