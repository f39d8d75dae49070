using Targetd.Core.BlockDevices;

namespace Targetd.Tests.Core;

public sealed class FileBlockDeviceTests
{
    private DirectoryInfo _directory = null!;

    [SetUp]
    public void SetUp() => _directory = Directory.CreateTempSubdirectory("targetd-filedev-");

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    [Test]
    public async Task Flushed_writes_survive_reopening()
    {
        string path = Path.Combine(_directory.FullName, "disk.img");
        await using (var device = FileBlockDevice.Create(path, 1024 * 1024))
        {
            await device.WriteAsync(4096, "persisted"u8.ToArray());
            await device.FlushAsync();
        }

        await using var reopened = FileBlockDevice.Open(path, new FileBlockDeviceOptions { ReadOnly = true });
        var back = new byte[9];
        await reopened.ReadAsync(4096, back);

        back.Should().Equal("persisted"u8.ToArray());
    }

    [Test]
    public async Task Create_makes_a_sparse_file_of_the_requested_size()
    {
        string path = Path.Combine(_directory.FullName, "sparse.img");

        await using var device = FileBlockDevice.Create(path, 1L << 30);

        new FileInfo(path).Length.Should().Be(1L << 30);
        device.Length.Should().Be(1L << 30);
        (await device.GetAllocatedExtentsAsync(0, device.Length)).Should().BeEmpty();
    }

    [Test]
    public void Create_refuses_an_existing_file_and_leaves_it_alone()
    {
        string path = Path.Combine(_directory.FullName, "taken.img");
        File.WriteAllBytes(path, new byte[512]);

        var create = () => FileBlockDevice.Create(path, 4096);

        create.Should().Throw<IOException>();
        new FileInfo(path).Length.Should().Be(512);
    }

    [Test]
    public void Open_of_a_missing_file_throws_file_not_found()
    {
        var open = () => FileBlockDevice.Open(Path.Combine(_directory.FullName, "missing.img"));

        open.Should().Throw<FileNotFoundException>();
    }

    [Test]
    public void Open_of_a_file_that_is_not_whole_blocks_is_refused()
    {
        string path = Path.Combine(_directory.FullName, "odd.img");
        File.WriteAllBytes(path, new byte[1000]);

        var open = () => FileBlockDevice.Open(path);

        open.Should().Throw<ArgumentException>().WithMessage("*1000 bytes*512-byte block size*");
    }

    [Test]
    public void Block_size_must_be_a_power_of_two()
    {
        string path = Path.Combine(_directory.FullName, "bs.img");
        File.WriteAllBytes(path, new byte[4096]);

        var open = () => FileBlockDevice.Open(path, new FileBlockDeviceOptions { LogicalBlockSize = 1000 });

        open.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Test]
    public void A_negative_inline_io_limit_is_refused()
    {
        string path = Path.Combine(_directory.FullName, "inline.img");
        File.WriteAllBytes(path, new byte[4096]);

        var open = () => FileBlockDevice.Open(path, new FileBlockDeviceOptions { InlineIoLimit = -1 });

        open.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("options");
    }

    [Test]
    public async Task A_cancelled_small_write_changes_nothing()
    {
        string path = Path.Combine(_directory.FullName, "cancelled.img");
        await using var device = FileBlockDevice.Create(path, 65536);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var write = async () => await device.WriteAsync(0, Enumerable.Repeat((byte)7, 512).ToArray(), cancelled.Token);

        await write.Should().ThrowAsync<OperationCanceledException>();
        var back = new byte[512];
        await device.ReadAsync(0, back);
        back.Should().OnlyContain(b => b == 0);
    }

    [Test]
    public async Task Discard_punches_a_hole_in_the_file()
    {
        string path = Path.Combine(_directory.FullName, "holes.img");
        await using var device = FileBlockDevice.Create(path, 4L * 1024 * 1024);
        await device.WriteAsync(0, new byte[4L * 1024 * 1024].Select(_ => (byte)1).ToArray());
        await device.FlushAsync();

        await device.DiscardAsync(1024 * 1024, 2 * 1024 * 1024);

        var extents = await device.GetAllocatedExtentsAsync(0, device.Length);
        extents.Should().Equal(new BlockExtent(0, 1024 * 1024), new BlockExtent(3L * 1024 * 1024, 1024 * 1024));
    }
}
