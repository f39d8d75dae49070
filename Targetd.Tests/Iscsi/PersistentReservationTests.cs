using System.Buffers.Binary;
using System.Text;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi;
using static Targetd.Tests.Iscsi.ReservationDriver;

namespace Targetd.Tests.Iscsi;

public sealed class PersistentReservationTests
{
    [Test]
    public async Task Register_shows_in_read_keys_and_unregister_removes_it_each_bumping_the_generation()
    {
        var unit = Unit();

        (await RegisterAsync(unit, First, 0, 0xAABB)).Status.Should().Be(ScsiStatus.Good);
        var keys = await ReadKeysAsync(unit, First);
        keys.Generation.Should().Be(1);
        keys.Keys.Should().Equal(0xAABBUL);

        (await RegisterAsync(unit, First, 0xAABB, 0)).Status.Should().Be(ScsiStatus.Good);
        keys = await ReadKeysAsync(unit, First);
        keys.Generation.Should().Be(2);
        keys.Keys.Should().BeEmpty();
    }

    [Test]
    public async Task Register_with_a_wrong_reservation_key_conflicts_and_keeps_the_old_key()
    {
        var unit = Unit();
        await RegisterAsync(unit, First, 0, 0x10);

        (await RegisterAsync(unit, First, 0, 0x11)).Status.Should().Be(ScsiStatus.ReservationConflict);

        (await ReadKeysAsync(unit, First)).Keys.Should().Equal(0x10UL);
    }

    [Test]
    public async Task A_registration_belongs_to_the_initiator_port_and_outlives_its_nexus()
    {
        var unit = Unit();
        await RegisterAsync(unit, First, 0, 0x10);
        await ReserveAsync(unit, First, 0x10, ExclusiveAccess);
        unit.ForgetNexus(First.Nexus);

        var again = First with { Nexus = 9 };
        (await RunAsync(unit, again, Cdb.Read10(0, 1), 512)).Result.Status.Should().Be(ScsiStatus.Good);
        (await ReadKeysAsync(unit, again)).Keys.Should().Equal(0x10UL);
    }

    [Test]
    public async Task Read_keys_cut_by_the_allocation_length_still_reports_the_full_additional_length()
    {
        var unit = Unit();
        await RegisterAsync(unit, First, 0, 0x10);
        await RegisterAsync(unit, Second, 0, 0x20);

        var (result, data) = await RunAsync(unit, First, Cdb.PersistentReserveIn(0x00, 8), 8);

        result.Status.Should().Be(ScsiStatus.Good);
        data.Should().HaveCount(8);
        BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(4)).Should().Be(16);
    }

    [TestCase(ExclusiveAccess, false, false, false, false)]
    [TestCase(WriteExclusive, true, false, true, false)]
    [TestCase(ExclusiveAccessRegistrantsOnly, true, true, false, false)]
    [TestCase(WriteExclusiveRegistrantsOnly, true, true, true, false)]
    [TestCase(ExclusiveAccessAllRegistrants, true, true, false, false)]
    public async Task Each_reservation_type_gives_the_other_initiator_the_access_spc4_table_59_lists(
        byte type, bool registeredReads, bool registeredWrites, bool unregisteredReads, bool unregisteredWrites)
    {
        var unit = Unit();
        await RegisterAsync(unit, First, 0, 0x10);
        await RegisterAsync(unit, Second, 0, 0x20);
        (await ReserveAsync(unit, First, 0x10, type)).Status.Should().Be(ScsiStatus.Good);

        (await CanReadAsync(unit, First)).Should().BeTrue();
        (await CanWriteAsync(unit, First)).Should().BeTrue();
        (await CanReadAsync(unit, Second)).Should().Be(registeredReads);
        (await CanWriteAsync(unit, Second)).Should().Be(registeredWrites);

        await RegisterAsync(unit, Second, 0x20, 0);
        (await CanReadAsync(unit, Second)).Should().Be(unregisteredReads);
        (await CanWriteAsync(unit, Second)).Should().Be(unregisteredWrites);
        (await RunAsync(unit, Second, Cdb.TestUnitReady())).Result.Status.Should().Be(ScsiStatus.Good);
        (await RunAsync(unit, Second, Cdb.Inquiry(), 255)).Result.Status.Should().Be(ScsiStatus.Good);
    }

    [Test]
    public async Task Read_reservation_reports_the_holder_key_and_type_and_zero_for_all_registrants()
    {
        var unit = Unit();
        await RegisterAsync(unit, First, 0, 0x10);
        await ReserveAsync(unit, First, 0x10, WriteExclusive);

        var (_, data) = await RunAsync(unit, First, Cdb.PersistentReserveIn(0x01, 64), 64);
        data.Should().HaveCount(24);
        BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(4)).Should().Be(16);
        BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(8)).Should().Be(0x10);
        data[21].Should().Be(WriteExclusive);

        await ReleaseAsync(unit, First, 0x10, WriteExclusive);
        await ReserveAsync(unit, First, 0x10, ExclusiveAccessAllRegistrants);
        (_, data) = await RunAsync(unit, First, Cdb.PersistentReserveIn(0x01, 64), 64);
        BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(8)).Should().Be(0);
        data[21].Should().Be(ExclusiveAccessAllRegistrants);
    }

    [Test]
    public async Task Reserving_a_held_unit_conflicts_and_a_different_type_from_the_holder_conflicts_too()
    {
        var unit = Unit();
        await RegisterAsync(unit, First, 0, 0x10);
        await RegisterAsync(unit, Second, 0, 0x20);
        await ReserveAsync(unit, First, 0x10, ExclusiveAccess);

        (await ReserveAsync(unit, Second, 0x20, ExclusiveAccess)).Status.Should().Be(ScsiStatus.ReservationConflict);
        (await ReserveAsync(unit, First, 0x10, WriteExclusive)).Status.Should().Be(ScsiStatus.ReservationConflict);
        (await ReserveAsync(unit, First, 0x10, ExclusiveAccess)).Status.Should().Be(ScsiStatus.Good);
    }

    [Test]
    public async Task Release_of_another_type_is_refused_and_a_non_holder_release_changes_nothing()
    {
        var unit = Unit();
        await RegisterAsync(unit, First, 0, 0x10);
        await RegisterAsync(unit, Second, 0, 0x20);
        await ReserveAsync(unit, First, 0x10, ExclusiveAccess);

        var wrongType = await ReleaseAsync(unit, First, 0x10, WriteExclusive);
        wrongType.Status.Should().Be(ScsiStatus.CheckCondition);
        wrongType.Sense!.Value.Asc.Should().Be(0x26);
        wrongType.Sense!.Value.Ascq.Should().Be(0x04);

        (await ReleaseAsync(unit, Second, 0x20, ExclusiveAccess)).Status.Should().Be(ScsiStatus.Good);
        (await CanReadAsync(unit, Second)).Should().BeFalse("the reservation is still First's");

        (await ReleaseAsync(unit, First, 0x10, ExclusiveAccess)).Status.Should().Be(ScsiStatus.Good);
        (await CanWriteAsync(unit, Second)).Should().BeTrue();
    }

    [Test]
    public async Task The_registrants_only_holder_unregistering_releases_the_reservation_with_a_unit_attention_for_the_others()
    {
        var unit = Unit();
        await RegisterAsync(unit, First, 0, 0x10);
        await RegisterAsync(unit, Second, 0, 0x20);
        await ReserveAsync(unit, First, 0x10, ExclusiveAccessRegistrantsOnly);

        await RegisterAsync(unit, First, 0x10, 0);

        var attention = (await RunAsync(unit, Second, Cdb.TestUnitReady())).Result;
        attention.Sense!.Value.Key.Should().Be(SenseKey.UnitAttention);
        attention.Sense!.Value.Asc.Should().Be(0x2A);
        attention.Sense!.Value.Ascq.Should().Be(0x04);
        (await RunAsync(unit, First, Cdb.PersistentReserveIn(0x01, 64), 64)).Data.Should().HaveCount(8, "nothing is reserved");
    }

    [Test]
    public async Task An_all_registrants_reservation_stays_until_the_last_registrant_leaves()
    {
        var unit = Unit();
        await RegisterAsync(unit, First, 0, 0x10);
        await RegisterAsync(unit, Second, 0, 0x20);
        await ReserveAsync(unit, First, 0x10, ExclusiveAccessAllRegistrants);

        await RegisterAsync(unit, First, 0x10, 0);
        (await RunAsync(unit, First, Cdb.PersistentReserveIn(0x01, 64), 64)).Data.Should().HaveCount(24);
        (await CanReadAsync(unit, First)).Should().BeFalse("First is no longer a registrant");

        await RegisterAsync(unit, Second, 0x20, 0);
        (await RunAsync(unit, First, Cdb.PersistentReserveIn(0x01, 64), 64)).Data.Should().HaveCount(8);
    }

    [Test]
    public async Task Clear_removes_every_registration_and_tells_the_others_their_reservations_were_preempted()
    {
        var unit = Unit();
        await RegisterAsync(unit, First, 0, 0x10);
        await RegisterAsync(unit, Second, 0, 0x20);
        await ReserveAsync(unit, Second, 0x20, WriteExclusive);

        (await OutAsync(unit, First, 0x03, 0, Parameters(0x10, 0))).Status.Should().Be(ScsiStatus.Good);

        var attention = (await RunAsync(unit, Second, Cdb.TestUnitReady())).Result;
        attention.Sense!.Value.Asc.Should().Be(0x2A);
        attention.Sense!.Value.Ascq.Should().Be(0x03);
        (await ReadKeysAsync(unit, First)).Keys.Should().BeEmpty();
        (await CanWriteAsync(unit, First)).Should().BeTrue();
    }

    [Test]
    public async Task Preempt_removes_the_other_registration_once_and_takes_over_a_held_reservation()
    {
        var unit = Unit();
        await RegisterAsync(unit, First, 0, 0x10);
        await RegisterAsync(unit, Second, 0, 0x20);
        await ReserveAsync(unit, First, 0x10, ExclusiveAccess);
        uint before = (await ReadKeysAsync(unit, Second)).Generation;

        (await OutAsync(unit, Second, 0x04, WriteExclusive, Parameters(0x20, 0x10))).Status.Should().Be(ScsiStatus.Good);

        var keys = await ReadKeysAsync(unit, Second);
        keys.Keys.Should().Equal(0x20UL);
        keys.Generation.Should().Be(before + 1);
        var (_, reservation) = await RunAsync(unit, Second, Cdb.PersistentReserveIn(0x01, 64), 64);
        BinaryPrimitives.ReadUInt64BigEndian(reservation.AsSpan(8)).Should().Be(0x20);
        reservation[21].Should().Be(WriteExclusive);
        var attention = (await RunAsync(unit, First, Cdb.TestUnitReady())).Result;
        attention.Sense!.Value.Ascq.Should().Be(0x05, "REGISTRATIONS PREEMPTED");

        (await OutAsync(unit, Second, 0x04, WriteExclusive, Parameters(0x20, 0x10))).Status
            .Should().Be(ScsiStatus.ReservationConflict, "no registration holds that key any more");
    }

    [TestCase(0x04, 0, TestName = "PREEMPT leaves the preempted initiator's tasks running")]
    [TestCase(0x05, 1, TestName = "PREEMPT AND ABORT aborts the preempted initiator's tasks")]
    public async Task Preempt_and_abort_aborts_only_the_preempted_nexus_tasks(byte action, int expectedAborts)
    {
        var unit = Unit();
        int firstAborts = 0;
        int secondAborts = 0;
        unit.AttachNexus(First.Nexus, First.Port, () => { firstAborts++; return ValueTask.CompletedTask; });
        unit.AttachNexus(Second.Nexus, Second.Port, () => { secondAborts++; return ValueTask.CompletedTask; });
        await RegisterAsync(unit, First, 0, 0x10);
        await RegisterAsync(unit, Second, 0, 0x20);
        await ReserveAsync(unit, First, 0x10, WriteExclusiveRegistrantsOnly);

        (await OutAsync(unit, Second, action, WriteExclusiveRegistrantsOnly, Parameters(0x20, 0x10))).Status.Should().Be(ScsiStatus.Good);

        firstAborts.Should().Be(expectedAborts);
        secondAborts.Should().Be(0);
        (await RunAsync(unit, First, Cdb.TestUnitReady())).Result.Sense!.Value.Ascq.Should().Be(0x05, "REGISTRATIONS PREEMPTED");
        (await CanWriteAsync(unit, First)).Should().BeFalse("the fenced initiator is no longer a registrant");
    }

    [Test]
    public async Task Service_actions_other_than_register_need_a_registration()
    {
        var unit = Unit();

        (await ReserveAsync(unit, First, 0, ExclusiveAccess)).Status.Should().Be(ScsiStatus.ReservationConflict);
        (await OutAsync(unit, First, 0x03, 0, Parameters(0, 0))).Status.Should().Be(ScsiStatus.ReservationConflict);
    }

    [TestCase(23, 0x00, 0x00, 0x00, 0x1A, TestName = "A 23-byte parameter list is a PARAMETER LIST LENGTH ERROR")]
    [TestCase(24, 0x01, 0x00, 0x00, 0x26, TestName = "APTPL is refused: persistence through power loss is not offered")]
    [TestCase(24, 0x08, 0x00, 0x00, 0x26, TestName = "SPEC_I_PT is refused")]
    [TestCase(24, 0x00, 0x09, 0x00, 0x24, TestName = "An unknown service action is an invalid field in the CDB")]
    [TestCase(24, 0x00, 0x01, 0x13, 0x24, TestName = "A scope other than the logical unit is an invalid field in the CDB")]
    [TestCase(24, 0x00, 0x01, 0x02, 0x24, TestName = "An undefined reservation type is an invalid field in the CDB")]
    public async Task Malformed_persistent_reserve_out_is_refused_and_changes_nothing(
        int length, byte flags, byte action, byte scopeAndType, byte asc)
    {
        var unit = Unit();
        await RegisterAsync(unit, First, 0, 0x10);
        var parameters = Parameters(0x10, 0x77);
        parameters[20] = flags;
        var cdb = Cdb.PersistentReserveOut(action, scopeAndType, (uint)length);

        var (result, _) = await RunAsync(unit, First, cdb, 0, parameters[..Math.Min(length, 24)]);

        result.Status.Should().Be(ScsiStatus.CheckCondition);
        result.Sense!.Value.Key.Should().Be(SenseKey.IllegalRequest);
        result.Sense!.Value.Asc.Should().Be(asc);
        var keys = await ReadKeysAsync(unit, First);
        keys.Keys.Should().Equal(0x10UL);
        keys.Generation.Should().Be(1);
        (await RunAsync(unit, First, Cdb.PersistentReserveIn(0x01, 64), 64)).Data.Should().HaveCount(8);
    }

    [Test]
    public async Task Report_capabilities_lists_every_type_and_no_persistence_through_power_loss()
    {
        var (result, data) = await RunAsync(Unit(), First, Cdb.PersistentReserveIn(0x02, 64), 64);

        result.Status.Should().Be(ScsiStatus.Good);
        data.Should().Equal(0x00, 0x08, 0x04, 0x90, 0xEA, 0x01, 0x00, 0x00);
    }

    [Test]
    public async Task Read_full_status_describes_each_registration_with_its_iscsi_transport_id()
    {
        var unit = Unit();
        await RegisterAsync(unit, First, 0, 0x10);
        await ReserveAsync(unit, First, 0x10, WriteExclusive);

        var (_, data) = await RunAsync(unit, First, Cdb.PersistentReserveIn(0x03, 1024), 1024);

        string name = First.Port;
        int padded = (name.Length + 1 + 3) & ~3;
        data.Should().HaveCount(8 + 24 + 4 + padded);
        BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(4)).Should().Be((uint)(data.Length - 8));
        BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(8)).Should().Be(0x10);
        data[20].Should().Be(0x03, "ALL_TG_PT and R_HOLDER");
        data[21].Should().Be(WriteExclusive);
        BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(26)).Should().Be(1, "the relative target port");
        BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(28)).Should().Be((uint)(4 + padded));
        data[32].Should().Be(0x45, "FORMAT CODE 01b, iSCSI");
        BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(34)).Should().Be((ushort)padded);
        Encoding.ASCII.GetString(data, 36, name.Length).Should().Be(name);
        data.AsSpan(36 + name.Length).ToArray().Should().OnlyContain(b => b == 0);
    }

    [Test]
    public async Task Every_view_of_one_device_shares_its_reservations()
    {
        var device = new ScsiDevice(new MemoryBlockDevice(1024 * 1024), "pr-disk");
        var firstView = new ScsiLogicalUnit(device, "iqn.2024-01.net.targetd.test:pr", 0);
        var secondView = new ScsiLogicalUnit(device, "iqn.2024-01.net.targetd.test:pr", 3);
        await RegisterAsync(firstView, First, 0, 0x10);
        await ReserveAsync(firstView, First, 0x10, WriteExclusive);

        (await CanWriteAsync(secondView, Second)).Should().BeFalse();
        (await ReadKeysAsync(secondView, Second)).Keys.Should().Equal(0x10UL);
        (await CanWriteAsync(Unit(), Second)).Should().BeTrue("another device is not reserved");
    }
}
