using Targetd.Core.BlockDevices;
using Targetd.Qcow2;
using Targetd.Qcow2.Cli;

namespace Targetd.Tests.Qcow2;

/// <summary>
/// The openers hold QEMU's image locks on every file of a chain (as file-posix does): one writer per image even within
/// one process, no writer on a backing file in use, readers beside readers, and -U to read a served image.
/// </summary>
[Platform("Linux")]
public sealed class Qcow2ImageLockTests
{
    private DirectoryInfo _directory = null!;

    [SetUp]
    public void SetUp() => _directory = Directory.CreateTempSubdirectory("targetd-image-lock-");

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    [Test]
    public async Task A_second_writer_is_refused_in_the_same_process_and_admitted_once_the_first_closes()
    {
        string path = await CreateAsync("one.qcow2");
        var first = await Qcow2Image.OpenAsync(path);

        var second = async () => await Qcow2Image.OpenAsync(path);
        (await second.Should().ThrowAsync<ImageInUseException>()).Which.Permission.Should().Be("write");
        var reader = async () => await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { ReadOnly = true });
        (await reader.Should().ThrowAsync<ImageInUseException>()).Which.Shared.Should().BeTrue("a reader refuses to share write with the writer");

        await using (var shared = await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { ReadOnly = true, Lock = false }))
        {
            shared.Length.Should().Be(first.Length, "without locks the image can be read beside its writer");
        }

        await first.DisposeAsync();
        await using var again = await Qcow2Image.OpenAsync(path);
        again.IsReadOnly.Should().BeFalse();
    }

    [Test]
    public async Task A_backing_file_in_use_refuses_writers_and_shares_readers()
    {
        string base1 = await CreateAsync("base.qcow2");
        string overlayA = Path.Combine(_directory.FullName, "a.qcow2");
        string overlayB = Path.Combine(_directory.FullName, "b.qcow2");
        await (await Qcow2Image.CreateAsync(overlayA, new Qcow2CreateOptions { BackingFile = base1, BackingFormat = Qcow2BackingFormat.Qcow2 })).DisposeAsync();
        await (await Qcow2Image.CreateAsync(overlayB, new Qcow2CreateOptions { BackingFile = base1, BackingFormat = Qcow2BackingFormat.Qcow2 })).DisposeAsync();

        await using var a = await Qcow2Image.OpenAsync(overlayA);
        await using var b = await Qcow2Image.OpenAsync(overlayB);
        b.Length.Should().Be(a.Length, "two overlays of one base share it");

        var writeBase = async () => await Qcow2Image.OpenAsync(base1);
        (await writeBase.Should().ThrowAsync<ImageInUseException>()).Which.ImagePath.Should().Be(base1);
        var rawWrite = () => FileBlockDevice.Open(base1);
        rawWrite.Should().Throw<ImageInUseException>();
    }

    [Test]
    public async Task A_raw_file_device_takes_the_same_locks()
    {
        string path = Path.Combine(_directory.FullName, "disk.raw");
        await using var writer = FileBlockDevice.Create(path, 1 << 20);

        var second = () => FileBlockDevice.Open(path);
        second.Should().Throw<ImageInUseException>();
        var qcow2Reader = async () => await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { ReadOnly = true });
        await qcow2Reader.Should().ThrowAsync<ImageInUseException>();
        await using var unlocked = FileBlockDevice.Open(path, new FileBlockDeviceOptions { ReadOnly = true, Lock = false });
        unlocked.Length.Should().Be(1 << 20);
    }

    [Test]
    public async Task The_image_tool_refuses_an_image_in_use_with_qemu_imgs_words_and_reads_it_with_force_share()
    {
        string path = await CreateAsync("served.qcow2");
        await using var served = await Qcow2Image.OpenAsync(path);

        var info = await RunAsync("info", path);
        info.Code.Should().Be(1);
        info.Error.Should().Be($"qemu-img: Could not open '{path}': Failed to get shared \"write\" lock\nIs another process using the image [{path}]?" + Environment.NewLine);

        var resize = await RunAsync("resize", path, "+1M");
        resize.Code.Should().Be(1);
        resize.Error.Should().StartWith($"qemu-img: Could not open '{path}': Failed to get \"write\" lock");
        served.Length.Should().Be(1 << 20, "the refused resize changed nothing");

        var shared = await RunAsync("info", "-U", path);
        shared.Code.Should().Be(0, shared.Error);
        shared.Output.Should().Contain("virtual size: 1048576 bytes");

        var repair = await RunAsync("check", "-U", "-r", "all", path);
        repair.Code.Should().Be(1);
        repair.Error.Should().Contain("force-share=on can only be used with read-only images");
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await ImageTool.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private async Task<string> CreateAsync(string name)
    {
        string path = Path.Combine(_directory.FullName, name);
        await (await Qcow2Image.CreateAsync(path, new Qcow2CreateOptions { Size = 1 << 20 })).DisposeAsync();
        return path;
    }
}
