using Targetd.Iscsi.Scsi;
using static Targetd.Tests.Iscsi.ReservationDriver;

namespace Targetd.Tests.Iscsi;

/// <summary>RESERVE(6) and RELEASE(6) (SPC-2 §7.21, §7.17) and how they meet persistent reservations.</summary>
public sealed class LegacyReservationTests
{
    [Test]
    public async Task Reserve6_stops_other_initiators_but_lets_inquiry_and_their_release_through()
    {
        var unit = Unit();

        (await RunAsync(unit, First, Cdb.Reserve6())).Result.Status.Should().Be(ScsiStatus.Good);
        (await RunAsync(unit, First, Cdb.Reserve6())).Result.Status.Should().Be(ScsiStatus.Good, "the holder may reserve again");

        (await RunAsync(unit, Second, Cdb.Reserve6())).Result.Status.Should().Be(ScsiStatus.ReservationConflict);
        (await RunAsync(unit, Second, Cdb.ModeSense6(0x3F))).Result.Status.Should().Be(ScsiStatus.ReservationConflict);
        (await RunAsync(unit, Second, Cdb.Inquiry(), 255)).Result.Status.Should().Be(ScsiStatus.Good);
        (await RunAsync(unit, Second, Cdb.Release6())).Result.Status.Should().Be(ScsiStatus.Good);
        (await CanReadAsync(unit, Second)).Should().BeFalse("a release from another initiator does nothing");
        (await CanWriteAsync(unit, First)).Should().BeTrue();

        (await RunAsync(unit, First, Cdb.Release6())).Result.Status.Should().Be(ScsiStatus.Good);
        (await CanWriteAsync(unit, Second)).Should().BeTrue();
    }

    [TestCase("nexus loss")]
    [TestCase("logical unit reset")]
    [TestCase("target reset")]
    public async Task Reserve6_ends_with_its_nexus_and_with_resets(string cause)
    {
        var unit = Unit();
        await RunAsync(unit, First, Cdb.Reserve6());

        switch (cause)
        {
            case "nexus loss":
                unit.ForgetNexus(First.Nexus);
                break;
            default:
                unit.Reset(logicalUnitReset: cause == "logical unit reset");
                await RunAsync(unit, Second, Cdb.TestUnitReady()); // the reset's unit attention
                break;
        }

        (await RunAsync(unit, Second, Cdb.Reserve6())).Result.Status.Should().Be(ScsiStatus.Good);
    }

    [Test]
    public async Task Reserve6_conflicts_while_persistent_registrations_exist_and_persistent_reserve_out_conflicts_under_reserve6()
    {
        var unit = Unit();
        await RegisterAsync(unit, First, 0, 0x10);
        (await RunAsync(unit, Second, Cdb.Reserve6())).Result.Status.Should().Be(ScsiStatus.ReservationConflict);

        await RegisterAsync(unit, First, 0x10, 0);
        (await RunAsync(unit, Second, Cdb.Reserve6())).Result.Status.Should().Be(ScsiStatus.Good);
        (await RegisterAsync(unit, First, 0, 0x10)).Status.Should().Be(ScsiStatus.ReservationConflict);
    }
}
