using System.Globalization;
using System.Text.Json;
using Targetd.Qcow2;
using Targetd.Qcow2.Cli;
using Targetd.Storage.Pools.Images;
using Targetd.Tests.Support;

namespace Targetd.Tests.Qcow2;

/// <summary>Sizes that are not whole 512-byte sectors end up as qemu-img would make them.</summary>
[Category("Interop")]
public sealed class Qcow2SizeRoundingInteropTests
{
    private DirectoryInfo _directory = null!;

    [SetUp]
    public void SetUp()
    {
        ExternalTool.Require("qemu-img");
        _directory = Directory.CreateTempSubdirectory("targetd-qcow2-size-");
    }

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    private static async Task<long> VirtualSizeAsync(string image)
    {
        using var info = JsonDocument.Parse(await ExternalTool.RunOkAsync("qemu-img", "info", "--output=json", image));
        return info.RootElement.GetProperty("virtual-size").GetInt64();
    }

    private static async Task<(int Code, string Error)> ToolAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await ImageTool.RunAsync(args, output, error);
        return (code, error.ToString());
    }

    [TestCase(1L)]
    [TestCase(1000L)]
    [TestCase(1024L)]
    [TestCase(65537L)]
    [TestCase((10L << 20) + 3)]
    public async Task A_create_size_is_rounded_up_to_512_like_qemu_img_create(long size)
    {
        string text = size.ToString(CultureInfo.InvariantCulture);
        await ExternalTool.RunOkAsync("qemu-img", "create", "-q", "-f", "qcow2", PathOf("qemu.qcow2"), text);
        var cli = await ToolAsync("create", "-q", PathOf("cli.qcow2"), text);
        await using (await Qcow2Image.CreateAsync(PathOf("library.qcow2"), new Qcow2CreateOptions { Size = size }))
        {
        }

        long expected = await VirtualSizeAsync(PathOf("qemu.qcow2"));
        cli.Code.Should().Be(0, cli.Error);
        expected.Should().Be((size + 511) / 512 * 512, "qemu-img rounds up to whole sectors");
        (await VirtualSizeAsync(PathOf("cli.qcow2"))).Should().Be(expected);
        (await VirtualSizeAsync(PathOf("library.qcow2"))).Should().Be(expected);
    }

    [Test]
    public async Task The_image_pool_creates_grows_and_copies_volumes_to_the_sizes_qemu_img_create_makes()
    {
        await ExternalTool.RunOkAsync("qemu-img", "create", "-q", "-f", "qcow2", PathOf("qemu-1000.qcow2"), "1000");
        await ExternalTool.RunOkAsync("qemu-img", "create", "-q", "-f", "qcow2", PathOf("qemu-5000.qcow2"), "5000");
        await ExternalTool.RunOkAsync("qemu-img", "create", "-q", "-f", "qcow2", PathOf("qemu-9999.qcow2"), "9999");
        var folder = Directory.CreateDirectory(PathOf("pool"));
        using (var pool = new ImageDirectoryPool("images", folder.FullName))
        {
            await pool.CreateAsync("created", 1000);
            await pool.CreateAsync("grown", 1000);
            await pool.ResizeAsync("grown", 5000);
            await pool.CopyAsync("created", "copied", 9999);
        }

        (await VirtualSizeAsync(Path.Combine(folder.FullName, "created.qcow2"))).Should().Be(await VirtualSizeAsync(PathOf("qemu-1000.qcow2"))).And.Be(1024);
        (await VirtualSizeAsync(Path.Combine(folder.FullName, "grown.qcow2"))).Should().Be(await VirtualSizeAsync(PathOf("qemu-5000.qcow2"))).And.Be(5120);
        (await VirtualSizeAsync(Path.Combine(folder.FullName, "copied.qcow2"))).Should().Be(await VirtualSizeAsync(PathOf("qemu-9999.qcow2"))).And.Be(10240);
    }

    [Test]
    public async Task An_overlay_on_a_raw_file_of_1000_bytes_is_1024_bytes_like_qemu_makes_it()
    {
        await File.WriteAllBytesAsync(PathOf("base.raw"), new byte[1000]);
        await ExternalTool.RunOkAsync("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", PathOf("qemu.qcow2"));
        var cli = await ToolAsync("create", "-q", "-b", "base.raw", "-F", "raw", PathOf("cli.qcow2"));

        cli.Code.Should().Be(0, cli.Error);
        (await VirtualSizeAsync(PathOf("qemu.qcow2"))).Should().Be(1024);
        (await VirtualSizeAsync(PathOf("cli.qcow2"))).Should().Be(1024);
    }

    [Test]
    public async Task Library_resize_rounds_up_and_the_cli_refuses_a_partial_sector_as_qemu_img_resize_does()
    {
        foreach (string name in new[] { "qemu.qcow2", "cli.qcow2", "library.qcow2" })
        {
            await ExternalTool.RunOkAsync("qemu-img", "create", "-q", "-f", "qcow2", PathOf(name), "1M");
        }

        var qemu = await ExternalTool.RunAsync("qemu-img", "resize", PathOf("qemu.qcow2"), "3000000");
        var cli = await ToolAsync("resize", PathOf("cli.qcow2"), "3000000");
        await using (var image = await Qcow2Image.OpenAsync(PathOf("library.qcow2")))
        {
            await image.ResizeAsync(3_000_000);
            image.Length.Should().Be(3_000_320);
        }

        qemu.ExitCode.Should().Be(1);
        qemu.StandardError.Should().Contain("The new size must be a multiple of 512");
        cli.Code.Should().Be(1);
        cli.Error.Should().Be("qemu-img: The new size must be a multiple of 512" + Environment.NewLine);
        (await VirtualSizeAsync(PathOf("qemu.qcow2"))).Should().Be(1 << 20);
        (await VirtualSizeAsync(PathOf("cli.qcow2"))).Should().Be(1 << 20);
        (await VirtualSizeAsync(PathOf("library.qcow2"))).Should().Be(3_000_320);
        await ExternalTool.RunOkAsync("qemu-img", "check", PathOf("library.qcow2"));
    }
}
