using Targetd.Core.BlockDevices;
using Targetd.Iscsi;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Targets;
using static Targetd.Tests.Iscsi.ReservationDriver;

namespace Targetd.Tests.Iscsi;

/// <summary>One SCSI device behind every view: identity, atomicity, reservations and their file owned once.</summary>
public sealed class ScsiDeviceTests
{
    private const int Block = 512;
    private const string TargetName = "iqn.2024-01.net.targetd.test:device";
    private const string InitiatorA = "iqn.2024-01.org.example:a";
    private const string InitiatorB = "iqn.2024-01.org.example:b";

    [Test]
    public void The_naa_designator_follows_lios_rule_on_the_serial()
    {
        // 6h, company id 001405h, then the first 25 hex digits of the uuid.
        var identity = ScsiDeviceIdentity.FromSerial("3f2504e0-4f89-11d3-9a0c-0305e82c3301");

        identity.NaaHex.Should().Be("60014053f2504e04f8911d39a0c0305e");
        identity.Naa.ToArray().Should().Equal(Convert.FromHexString("60014053f2504e04f8911d39a0c0305e"));
        identity.T10VendorId.Should().Be("TARGETD 3f2504e0-4f89-11d3-9a0c-0305e82c3301");
    }

    [Test]
    public void A_serial_with_few_hex_digits_is_zero_filled_and_other_characters_are_skipped()
    {
        ScsiDeviceIdentity.FromSerial("disk-12").NaaHex.Should().Be("6001405" + "d12".PadRight(25, '0'));
        ScsiDeviceIdentity.FromSerial("ABCDEF").NaaHex.Should().Be("6001405" + "abcdef".PadRight(25, '0'));
    }

    [TestCase("")]
    [TestCase("tab\there")]
    [TestCase("\u00e9t\u00e9")]
    public void A_serial_that_is_not_printable_ascii_is_refused(string serial)
    {
        var create = () => new ScsiDevice(new MemoryBlockDevice(4096), serial);

        create.Should().Throw<ArgumentException>().WithMessage("*printable ASCII*");
    }

    [Test]
    public void A_serial_longer_than_the_designator_can_carry_is_refused()
    {
        var create = () => ScsiDeviceIdentity.FromSerial(new string('a', ScsiDeviceIdentity.MaxSerialLength + 1));

        create.Should().Throw<ArgumentException>();
        ScsiDeviceIdentity.FromSerial(new string('a', ScsiDeviceIdentity.MaxSerialLength)).Serial.Should().HaveLength(247);
    }

    [Test]
    public async Task Two_initiators_at_two_luns_of_one_device_read_byte_identical_vpd_pages()
    {
        var registry = new IscsiTargetRegistry();
        var port = new IscsiTargetPort(registry);
        port.AddTarget(TargetName);
        var medium = new MemoryBlockDevice(1 << 20);
        port.MapLun(TargetName, InitiatorA, 0, medium, "0d3c1b2a-9988-4776-a5b4-c3d2e1f00011");
        port.MapLun(TargetName, InitiatorB, 3, medium, "0d3c1b2a-9988-4776-a5b4-c3d2e1f00011");
        registry.TryGet(TargetName, out var target).Should().BeTrue();
        var a = target!.UnitsFor(InitiatorA)[0];
        var b = target.UnitsFor(InitiatorB)[3];

        foreach (byte page in new byte[] { 0x80, 0x83 })
        {
            var (_, throughA) = await RunAsync(a, First, Cdb.Inquiry(true, page), 255);
            var (_, throughB) = await RunAsync(b, Second, Cdb.Inquiry(true, page), 255);
            throughA.Should().NotBeEmpty();
            throughB.Should().Equal(throughA, $"VPD page {page:x2}h is the device's, not the view's");
        }

        a.Device.Should().BeSameAs(b.Device);
        port.DeviceOf(medium).Should().BeSameAs(a.Device);
    }

    [Test]
    public void Mapping_one_block_device_with_two_serials_is_refused_and_changes_nothing()
    {
        var registry = new IscsiTargetRegistry();
        var port = new IscsiTargetPort(registry);
        port.AddTarget(TargetName);
        var medium = new MemoryBlockDevice(1 << 20);
        port.MapLun(TargetName, InitiatorA, 0, medium, "serial-one");

        var remap = () => port.MapLun(TargetName, InitiatorB, 3, medium, "serial-two");

        remap.Should().Throw<InvalidOperationException>().WithMessage("*serial-one*");
        registry.TryGet(TargetName, out var target);
        target!.MappedLunsOf(InitiatorB).Should().BeEmpty();
    }

    [Test]
    public void The_device_is_forgotten_with_its_last_view()
    {
        var registry = new IscsiTargetRegistry();
        var port = new IscsiTargetPort(registry);
        port.AddTarget(TargetName);
        var medium = new MemoryBlockDevice(1 << 20);
        port.MapLun(TargetName, InitiatorA, 0, medium, "serial-one");
        port.MapLun(TargetName, InitiatorB, 3, medium, "serial-one");

        port.UnmapLun(TargetName, InitiatorA, 0).Should().BeTrue();
        port.DeviceOf(medium).Should().NotBeNull("B's view still maps it");
        port.UnmapLun(TargetName, InitiatorB, 3).Should().BeTrue();
        port.DeviceOf(medium).Should().BeNull();
        port.MapLun(TargetName, InitiatorB, 3, medium, "serial-two");
        port.DeviceOf(medium)!.Identity.Serial.Should().Be("serial-two");
    }

    [Test]
    public async Task Compare_and_write_through_two_views_has_exactly_one_winner_each_round()
    {
        // The medium yields between the blocks of a write, so a second COMPARE AND WRITE that did not wait for the
        // first would read the old data and win too.
        var device = new ScsiDevice(new PiecewiseBlockDevice(new MemoryBlockDevice(1 << 20)), "caw-disk");
        var a = new ScsiLogicalUnit(device, TargetName, 0);
        var b = new ScsiLogicalUnit(device, TargetName, 3);
        byte[] current = new byte[2 * Block];
        for (int round = 0; round < 200; round++)
        {
            byte[] fromA = Filled(2 * Block, (byte)(1 + (2 * round % 250)));
            byte[] fromB = Filled(2 * Block, (byte)(2 + (2 * round % 250)));
            var raceA = Task.Run(() => RunAsync(a, First, Cdb.CompareAndWrite(8, 2), 0, [.. current, .. fromA]));
            var raceB = Task.Run(() => RunAsync(b, Second, Cdb.CompareAndWrite(8, 2), 0, [.. current, .. fromB]));
            var results = await Task.WhenAll(raceA, raceB);

            var winners = results.Count(r => r.Result.Status == ScsiStatus.Good);
            winners.Should().Be(1, $"round {round}: one heartbeat lock, one owner");
            results.Single(r => r.Result.Status != ScsiStatus.Good).Result.Sense!.Value.Key.Should().Be(SenseKey.Miscompare);
            current = results[0].Result.Status == ScsiStatus.Good ? fromA : fromB;
            var (_, stored) = await RunAsync(a, First, Cdb.Read10(8, 2), 2 * Block);
            stored.Should().Equal(current);
        }
    }

    [Test]
    public async Task A_reservation_made_through_one_view_is_read_and_enforced_through_another()
    {
        var device = new ScsiDevice(new MemoryBlockDevice(1 << 20), "pr-views");
        var a = new ScsiLogicalUnit(device, TargetName, 0);
        var b = new ScsiLogicalUnit(device, TargetName, 3);

        await RegisterAsync(a, First, 0, 0xA1);
        await ReserveAsync(a, First, 0xA1, WriteExclusive);

        (await ReadKeysAsync(b, Second)).Keys.Should().Equal(0xA1UL);
        var (_, reservation) = await RunAsync(b, Second, Cdb.PersistentReserveIn(0x01, 255), 255);
        System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(reservation.AsSpan(8)).Should().Be(0xA1UL);
        (reservation[21] & 0x0F).Should().Be(WriteExclusive);
        (await CanWriteAsync(b, Second)).Should().BeFalse();
        (await CanReadAsync(b, Second)).Should().BeTrue("write exclusive lets others read");
        (await CanWriteAsync(a, First)).Should().BeTrue();
    }

    [Test]
    public async Task A_logical_unit_reset_through_one_view_is_a_unit_attention_through_every_view()
    {
        var device = new ScsiDevice(new MemoryBlockDevice(1 << 20), "reset-views");
        var a = new ScsiLogicalUnit(device, TargetName, 0);
        var b = new ScsiLogicalUnit(device, TargetName, 3);
        a.AttachNexus(First.Nexus);
        b.AttachNexus(Second.Nexus);

        a.Reset(logicalUnitReset: true);

        var (throughB, _) = await RunAsync(b, Second, Cdb.TestUnitReady());
        throughB.Sense.Should().Be(Sense.LogicalUnitResetOccurred());
        (await RunAsync(b, Second, Cdb.TestUnitReady())).Result.Status.Should().Be(ScsiStatus.Good, "reported once");
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task Aptpl_state_is_found_again_whatever_order_the_views_are_made_in(bool aFirst)
    {
        var folder = Directory.CreateTempSubdirectory("scsi-device-aptpl-");
        try
        {
            const string Serial = "7a1e6a0c-2b2b-4c55-8c1e-5d1f00aa0001";
            var medium = new MemoryBlockDevice(1 << 20);
            var before = new IscsiTargetPort(new IscsiTargetRegistry(), folder.FullName);
            before.AddTarget(TargetName);
            before.MapLun(TargetName, InitiatorA, 0, medium, Serial);
            before.MapLun(TargetName, InitiatorB, 3, medium, Serial);
            var device = before.DeviceOf(medium)!;
            var a = new ScsiLogicalUnit(device, TargetName, 0);
            (await OutAsync(a, First, 0x00, 0, Parameters(0, 0xBEEF, aptpl: true))).Status.Should().Be(ScsiStatus.Good);
            await ReserveAsync(a, First, 0xBEEF, WriteExclusive);

            // A restart: a new port over the same folder, views made in either order.
            var registry = new IscsiTargetRegistry();
            var after = new IscsiTargetPort(registry, folder.FullName);
            after.AddTarget(TargetName);
            if (aFirst)
            {
                after.MapLun(TargetName, InitiatorA, 0, medium, Serial);
                after.MapLun(TargetName, InitiatorB, 7, medium, Serial);
            }
            else
            {
                after.MapLun(TargetName, InitiatorB, 7, medium, Serial);
                after.MapLun(TargetName, InitiatorA, 0, medium, Serial);
            }

            registry.TryGet(TargetName, out var target);
            var viewB = target!.UnitsFor(InitiatorB)[7];
            (await ReadKeysAsync(viewB, Second)).Keys.Should().Equal(0xBEEFUL);
            (await CanWriteAsync(viewB, Second)).Should().BeFalse("the reservation came back");
            Directory.GetFiles(folder.FullName).Select(Path.GetFileName).Should()
                .Equal(ScsiDeviceIdentity.FromSerial(Serial).NaaHex + ".pr");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static byte[] Filled(int length, byte value) => Enumerable.Repeat(value, length).ToArray();
}
