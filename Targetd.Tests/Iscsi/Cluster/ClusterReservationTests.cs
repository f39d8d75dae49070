using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Scsi.Reservations;
using static Targetd.Tests.Iscsi.ReservationDriver;

namespace Targetd.Tests.Iscsi.Cluster;

/// <summary>Reservations a cluster holds for two gateways serving one disk (SPC-4 §5.9 across target ports).</summary>
public sealed class ClusterReservationTests
{
    private const string Target = "iqn.2024-01.net.targetd.test:pr";

    private MemoryBlockDevice _disk = null!;
    private InMemorySharedState _state = null!;

    [SetUp]
    public void SetUp()
    {
        _disk = new MemoryBlockDevice(1024 * 1024);
        _state = new InMemorySharedState();
    }

    [TearDown]
    public async Task TearDownAsync() => await _disk.DisposeAsync();

    [Test]
    public async Task A_reservation_taken_through_one_gateway_stops_another_initiators_write_through_the_other()
    {
        var one = Gateway();
        var two = Gateway();
        (await RegisterAsync(one, First, 0, 0xA1)).Status.Should().Be(ScsiStatus.Good);
        (await ReserveAsync(one, First, 0xA1, WriteExclusive)).Status.Should().Be(ScsiStatus.Good);

        (await CanWriteAsync(two, Second)).Should().BeFalse();
        (await CanReadAsync(two, Second)).Should().BeTrue();
        (await CanWriteAsync(one, First)).Should().BeTrue();
        (await ReadKeysAsync(two, Second)).Keys.Should().Equal(0xA1UL);
    }

    [Test]
    public async Task A_gateway_started_again_finds_the_registrations_and_the_reservation()
    {
        var one = Gateway();
        (await RegisterAsync(one, First, 0, 0xA1)).Status.Should().Be(ScsiStatus.Good);
        (await ReserveAsync(one, First, 0xA1, ExclusiveAccess)).Status.Should().Be(ScsiStatus.Good);

        var restarted = Gateway();
        (await ReadKeysAsync(restarted, First)).Keys.Should().Equal(0xA1UL);
        (await CanReadAsync(restarted, Second)).Should().BeFalse();
    }

    [Test]
    public async Task A_change_that_loses_races_to_other_gateways_is_tried_again_on_what_they_wrote()
    {
        var one = Gateway();
        _state.RacesToLose = 5;

        (await RegisterAsync(one, First, 0, 0xA1)).Status.Should().Be(ScsiStatus.Good);

        _state.RacesToLose.Should().Be(0);
        var (generation, keys) = await ReadKeysAsync(Gateway(), Second);
        keys.Should().Equal(0xA1UL);
        generation.Should().Be(1);
    }

    [Test]
    public async Task Registrations_made_through_both_gateways_at_once_all_land()
    {
        var one = Gateway();
        var two = Gateway();
        var initiators = Enumerable.Range(0, 16).Select(i => new ReservationInitiator((ulong)(10 + i), $"iqn.2024-01.net.targetd.test:{i},i,0x23d0000000{i:x2}")).ToArray();

        await Task.WhenAll(initiators.Select((initiator, i) => RegisterAsync(i % 2 == 0 ? one : two, initiator, 0, (ulong)(0x100 + i))));

        var (generation, keys) = await ReadKeysAsync(one, First);
        keys.Should().HaveCount(16);
        generation.Should().Be(16);
    }

    [Test]
    public async Task A_gateway_that_cannot_reach_the_state_decides_nothing()
    {
        var one = Gateway();
        (await RegisterAsync(one, First, 0, 0xA1)).Status.Should().Be(ScsiStatus.Good);
        _state.Unreachable = true;

        var (write, _) = await RunAsync(one, Second, Cdb.Write10(0, 1), 0, new byte[512]);
        var register = await RegisterAsync(one, Second, 0, 0xB2);

        foreach (var result in new[] { write, register })
        {
            result.Status.Should().Be(ScsiStatus.CheckCondition);
            result.Sense!.Value.Key.Should().Be(SenseKey.NotReady);
            result.Sense!.Value.Asc.Should().Be(0x08);
        }
    }

    [Test]
    public async Task A_preemption_through_one_gateway_raises_a_unit_attention_through_the_other()
    {
        var one = Gateway();
        var two = Gateway();
        (await RegisterAsync(two, Second, 0, 0xB2)).Status.Should().Be(ScsiStatus.Good);
        (await ReserveAsync(two, Second, 0xB2, WriteExclusive)).Status.Should().Be(ScsiStatus.Good);
        (await RegisterAsync(one, First, 0, 0xA1)).Status.Should().Be(ScsiStatus.Good);

        (await OutAsync(one, First, 0x05, WriteExclusive, Parameters(0xA1, 0xB2))).Status.Should().Be(ScsiStatus.Good);

        var (result, _) = await RunAsync(two, Second, Cdb.TestUnitReady());
        result.Status.Should().Be(ScsiStatus.CheckCondition);
        result.Sense!.Value.Should().Be(Sense.RegistrationsPreempted());
        (await RunAsync(two, Second, Cdb.TestUnitReady())).Result.Status.Should().Be(ScsiStatus.Good);
        (await CanWriteAsync(two, Second)).Should().BeFalse();
    }

    [TestCase(true, 1, TestName = "A PREEMPT AND ABORT through one gateway has aborted the preempted nexus's tasks on the other when it completes")]
    [TestCase(false, 0, TestName = "Without announcements the other gateway aborts only when it next reads the state")]
    public async Task Preempt_and_abort_reaches_the_other_gateway_through_the_announcement(bool watchable, int abortsBeforeAnyCommand)
    {
        _state.Watchable = watchable;
        var one = Gateway();
        var two = Gateway();
        int aborts = 0;
        two.AttachNexus(Second.Nexus, Second.Port, () =>
        {
            Interlocked.Increment(ref aborts);
            return ValueTask.CompletedTask;
        });
        (await RegisterAsync(two, Second, 0, 0xB2)).Status.Should().Be(ScsiStatus.Good);
        (await ReserveAsync(two, Second, 0xB2, WriteExclusive)).Status.Should().Be(ScsiStatus.Good);
        (await RegisterAsync(one, First, 0, 0xA1)).Status.Should().Be(ScsiStatus.Good);

        (await OutAsync(one, First, 0x05, WriteExclusive, Parameters(0xA1, 0xB2))).Status.Should().Be(ScsiStatus.Good);

        aborts.Should().Be(abortsBeforeAnyCommand, "gateway two has handled no command since the preemption");
        var (result, _) = await RunAsync(two, Second, Cdb.TestUnitReady());
        result.Sense!.Value.Should().Be(Sense.RegistrationsPreempted());
        aborts.Should().Be(1, "the preempted nexus's tasks are aborted once, however the event arrived");
    }

    [Test]
    public async Task Only_changes_that_raise_events_are_announced()
    {
        var one = Gateway();
        var two = Gateway();
        (await RegisterAsync(one, First, 0, 0xA1)).Status.Should().Be(ScsiStatus.Good);
        (await RegisterAsync(two, Second, 0, 0xB2)).Status.Should().Be(ScsiStatus.Good);
        _state.Announcements.Should().Be(0, "a registration raises no unit attention");

        (await ReserveAsync(one, First, 0xA1, WriteExclusiveRegistrantsOnly)).Status.Should().Be(ScsiStatus.Good);
        (await OutAsync(one, First, 0x03, WriteExclusiveRegistrantsOnly, Parameters(0xA1, 0))).Status.Should().Be(ScsiStatus.Good);

        _state.Announcements.Should().Be(1, "CLEAR raises RESERVATIONS PREEMPTED for the other registrant");
    }

    [Test]
    public async Task A_read_is_answered_only_as_the_state_read_beside_it_allows()
    {
        var one = Gateway();
        var two = Gateway();
        await _disk.WriteAsync(0, Enumerable.Repeat((byte)0x5A, 512).ToArray());
        (await RegisterAsync(two, Second, 0, 0xB2)).Status.Should().Be(ScsiStatus.Good);
        (await RegisterAsync(one, First, 0, 0xA1)).Status.Should().Be(ScsiStatus.Good);
        (await ReserveAsync(one, First, 0xA1, ExclusiveAccess)).Status.Should().Be(ScsiStatus.Good);

        var (conflict, _) = await RunAsync(two, Second, Cdb.Read10(0, 1), 512);
        conflict.Status.Should().Be(ScsiStatus.ReservationConflict, "exclusive access: another registrant may not read");

        (await OutAsync(one, First, 0x03, ExclusiveAccess, Parameters(0xA1, 0))).Status.Should().Be(ScsiStatus.Good);
        var (attention, _) = await RunAsync(two, Second, Cdb.Read10(0, 1), 512);
        attention.Sense!.Value.Should().Be(Sense.ReservationsPreempted(), "CLEAR's unit attention comes before the data");
        var (good, data) = await RunAsync(two, Second, Cdb.Read10(0, 1), 512);
        good.Status.Should().Be(ScsiStatus.Good);
        data.Should().OnlyContain(b => b == 0x5A);

        _state.Unreachable = true;
        var (unreachable, _) = await RunAsync(two, Second, Cdb.Read10(0, 1), 512);
        unreachable.Status.Should().Be(ScsiStatus.CheckCondition);
        (unreachable.Sense!.Value.Key, unreachable.Sense!.Value.Asc).Should().Be((SenseKey.NotReady, (byte)0x08), "no data is given out on a state that cannot be read");
    }

    [Test]
    public async Task A_RESERVE_through_one_gateway_holds_until_its_RELEASE()
    {
        var one = Gateway();
        var two = Gateway();
        (await RunAsync(one, First, Cdb.Reserve6())).Result.Status.Should().Be(ScsiStatus.Good);

        (await CanReadAsync(two, Second)).Should().BeFalse();
        (await RunAsync(two, Second, Cdb.Reserve6())).Result.Status.Should().Be(ScsiStatus.ReservationConflict);
        (await RunAsync(two, Second, Cdb.Release6())).Result.Status.Should().Be(ScsiStatus.Good);
        (await CanReadAsync(two, Second)).Should().BeFalse();

        (await RunAsync(one, First, Cdb.Release6())).Result.Status.Should().Be(ScsiStatus.Good);
        (await CanReadAsync(two, Second)).Should().BeTrue();
    }

    [Test]
    public void The_state_reads_back_as_written()
    {
        var state = new ClusterReservations(
            new ReservationFile.Snapshot(0, true, 7, PersistentReservationType.ExclusiveAccessRegistrantsOnly, "p1", [("p1", 1UL), ("p2", ulong.MaxValue)]),
            "gateway",
            42,
            [new ReservationEvent(3, "gateway", true, Sense.RegistrationsPreempted(), ["p3"])]);

        var read = ClusterReservationCodec.Decode(ClusterReservationCodec.Encode(state));

        read.State.Should().BeEquivalentTo(state.State);
        read.LegacyGateway.Should().Be("gateway");
        read.LegacyNexus.Should().Be(42);
        read.Events.Should().BeEquivalentTo(state.Events);
    }

    /// <summary>A gateway process serving the disk: a device and logical unit of its own over the shared state.</summary>
    private ScsiLogicalUnit Gateway() =>
        new(new ScsiDevice(new SharedMemoryBlockDevice(_disk, _state), "cluster-disk-0001"), Target, 0);
}
