using System.Text;
using Targetd.Core.State;
using Targetd.Iscsi.Scsi.Reservations;

namespace Targetd.Tests.Core.State;

public sealed class LocalStateFileSystemTests
{
    private DirectoryInfo _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("state-fs-");

    [TearDown]
    public void RemoveFolder() => _folder.Delete(recursive: true);

    [Test]
    public async Task A_reservation_file_is_first_saved_into_a_folder_that_does_not_exist_yet()
    {
        string path = Path.Combine(_folder.FullName, "reservations", "lun0");
        var file = new ReservationFile(path);

        await file.SaveAsync(new ReservationFile.Snapshot(1, true, 1, null, null, [("iqn.2024-01.org.example:a,i,0x1", 0xA11CEUL)]), CancellationToken.None);

        new ReservationFile(path).Load()!.Registrations.Should().Equal([("iqn.2024-01.org.example:a,i,0x1", 0xA11CEUL)]);
        Directory.GetFiles(Path.GetDirectoryName(path)!).Should().Equal([path], "no temporary file is left");
    }

    [Test]
    public async Task Replacing_leaves_the_new_contents_and_deleting_in_a_missing_folder_is_no_error()
    {
        string path = Path.Combine(_folder.FullName, "state.json");
        await DurableFile.ReplaceAsync(LocalStateFileSystem.Instance, path, path + ".tmp", Encoding.UTF8.GetBytes("old"));
        await DurableFile.ReplaceAsync(LocalStateFileSystem.Instance, path, path + ".tmp", Encoding.UTF8.GetBytes("new"));

        var delete = () => LocalStateFileSystem.Instance.Delete(Path.Combine(_folder.FullName, "missing", "file"));

        (await File.ReadAllTextAsync(path)).Should().Be("new");
        File.Exists(path + ".tmp").Should().BeFalse();
        delete.Should().NotThrow();
    }
}
