using Targetd.Iscsi.Scsi;
using static Targetd.Tests.Iscsi.ReservationDriver;

namespace Targetd.Tests.Iscsi;

/// <summary>Persistence through power loss (APTPL, SPC-4 §5.9.4): registrations kept in the reservations folder.</summary>
public sealed class PersistentReservationPersistenceTests
{
    [Test]
    public Task Registrations_made_with_aptpl_survive_a_restart_of_the_unit() => InTemporaryDirectoryAsync(async directory =>
    {
        var before = PersistentUnit(directory);
        (await OutAsync(before, First, 0x00, 0, Parameters(0, 0x10, aptpl: true))).Status.Should().Be(ScsiStatus.Good);
        await OutAsync(before, Second, 0x00, 0, Parameters(0, 0x20, aptpl: true)); // the latest REGISTER's APTPL applies
        await ReserveAsync(before, First, 0x10, ExclusiveAccess);
        uint generation = (await ReadKeysAsync(before, First)).Generation;

        var after = PersistentUnit(directory);

        var keys = await ReadKeysAsync(after, Second);
        keys.Keys.Should().Equal(0x10UL, 0x20UL);
        keys.Generation.Should().Be(generation);
        (await CanReadAsync(after, Second)).Should().BeFalse("the exclusive access reservation came back");
        (await CanWriteAsync(after, First with { Nexus = 42 })).Should().BeTrue("the holder's port logged in again");
        var (_, capabilities) = await RunAsync(after, First, Cdb.PersistentReserveIn(0x02, 8), 8);
        capabilities[2].Should().Be(0x05, "ATP_C and PTPL_C");
        capabilities[3].Should().Be(0x91, "TMV, ALLOW COMMANDS 001b and PTPL_A");
    });

    [Test]
    public Task A_register_without_aptpl_ends_persistence_and_a_restart_then_starts_empty() => InTemporaryDirectoryAsync(async directory =>
    {
        var before = PersistentUnit(directory);
        await OutAsync(before, First, 0x00, 0, Parameters(0, 0x10, aptpl: true));
        await OutAsync(before, Second, 0x00, 0, Parameters(0, 0x20, aptpl: false));

        var after = PersistentUnit(directory);

        (await ReadKeysAsync(after, First)).Keys.Should().BeEmpty();
        (await RunAsync(after, First, Cdb.PersistentReserveIn(0x02, 8), 8)).Data[3].Should().Be(0x90, "PTPL_A is clear");
    });

    [Test]
    public Task An_unreadable_reservation_file_starts_the_unit_without_reservations() => InTemporaryDirectoryAsync(async directory =>
    {
        var before = PersistentUnit(directory);
        await OutAsync(before, First, 0x00, 0, Parameters(0, 0x10, aptpl: true));
        string file = Directory.GetFiles(directory).Single();
        await File.WriteAllTextAsync(file, "targetd-persistent-reservations 1\naptpl 1\nregistration zz nobody\n");

        var after = PersistentUnit(directory);

        (await ReadKeysAsync(after, First)).Keys.Should().BeEmpty();
        (await RegisterAsync(after, First, 0, 0x30)).Status.Should().Be(ScsiStatus.Good);
    });

    private static async Task InTemporaryDirectoryAsync(Func<string, Task> test)
    {
        var directory = Directory.CreateTempSubdirectory("targetd-pr-");
        try
        {
            await test(directory.FullName);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
