using Targetd.Qcow2;
using Targetd.Qcow2.Cli;
using Targetd.Tests.Support;

namespace Targetd.Tests.Qcow2;

/// <summary>Snapshots and resizing done by us are seen the same way by QEMU.</summary>
[Category("Interop")]
public sealed class Qcow2SnapshotResizeInteropTests
{
    private DirectoryInfo _directory = null!;

    [SetUp]
    public void SetUp()
    {
        ExternalTool.Require("qemu-img");
        _directory = Directory.CreateTempSubdirectory("targetd-qcow2-snap-");
    }

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    private static async Task<int> ToolAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await ImageTool.RunAsync(args, output, error);
        code.Should().Be(0, error.ToString());
        return code;
    }

    private static async Task ValidateAsync(string image, string? expectedRaw = null)
    {
        var arguments = expectedRaw is null ? new[] { Path.Combine(ExternalTool.SharedDirectory, "qcow2", "validate-image.sh"), image }
            : [Path.Combine(ExternalTool.SharedDirectory, "qcow2", "validate-image.sh"), image, expectedRaw];
        var result = await ExternalTool.RunAsync("bash", arguments);
        result.ExitCode.Should().Be(0, result.StandardOutput + result.StandardError);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Create_apply_and_delete_snapshots_keep_the_image_clean_for_qemu()
    {
        string image = PathOf("s.qcow2");
        var first = new byte[4 << 20];
        new Random(1).NextBytes(first);
        await using (var qcow2 = await Qcow2Image.CreateAsync(image, new Qcow2CreateOptions { Size = 16L << 20 }))
        {
            await qcow2.WriteAsync(0, first);
            await qcow2.CreateSnapshotAsync("s1");
            await qcow2.WriteAsync(1 << 20, new byte[2 << 20].Select(_ => (byte)0x77).ToArray());
            await qcow2.WriteAsync(8L << 20, new byte[65536].Select(_ => (byte)0x66).ToArray());
        }

        await ValidateAsync(image);
        string listing = await ExternalTool.RunOkAsync("qemu-img", "snapshot", "-l", image);
        listing.Should().Contain("s1");
        await ExternalTool.RunOkAsync("qemu-img", "convert", "-O", "raw", "-l", "snapshot.name=s1", image, PathOf("s1.raw"));
        var s1 = await File.ReadAllBytesAsync(PathOf("s1.raw"));
        s1.AsSpan(0, first.Length).SequenceEqual(first).Should().BeTrue("the snapshot keeps the content it was taken with");

        await ToolAsync("convert", "-O", "raw", "-l", "s1", image, PathOf("ours-s1.raw"));
        (await File.ReadAllBytesAsync(PathOf("ours-s1.raw"))).Should().Equal(s1);

        await ToolAsync("snapshot", "-a", "s1", image);
        await ValidateAsync(image, PathOf("s1.raw"));

        await ToolAsync("snapshot", "-c", "s2", image);
        await ToolAsync("snapshot", "-d", "s1", image);
        await ValidateAsync(image, PathOf("s1.raw"));
        (await ExternalTool.RunOkAsync("qemu-img", "snapshot", "-l", image)).Should().Contain("s2").And.NotContain("s1 ");
        await ToolAsync("snapshot", "-d", "s2", image);
        await ValidateAsync(image, PathOf("s1.raw"));
    }

    [Test]
    public async Task Snapshots_made_by_qemu_are_listed_and_read()
    {
        string image = PathOf("q.qcow2");
        await ExternalTool.RunOkAsync("qemu-img", "create", "-q", "-f", "qcow2", image, "8M");
        await ExternalTool.RunOkAsync("qemu-io", "-c", "write -P 0x51 0 128K", image);
        await ExternalTool.RunOkAsync("qemu-img", "snapshot", "-c", "before", image);
        await ExternalTool.RunOkAsync("qemu-io", "-c", "write -P 0x52 0 64K", image);

        await using var qcow2 = await Qcow2Image.OpenAsync(image, new Qcow2OpenOptions { ReadOnly = true, Snapshot = "before" });
        var snapshots = await qcow2.ListSnapshotsAsync();
        var back = new byte[65536];
        await qcow2.ReadAsync(0, back);

        snapshots.Should().ContainSingle().Which.Name.Should().Be("before");
        back.Should().OnlyContain(b => b == 0x51);
    }

    [TestCase("+3G", false)]
    [TestCase("40M", true)]
    public async Task Resize_grows_and_shrinks_like_qemu(string size, bool shrink)
    {
        string image = PathOf("r.qcow2");
        await using (var qcow2 = await Qcow2Image.CreateAsync(image, new Qcow2CreateOptions { Size = 64L << 20, ClusterSize = 4096 }))
        {
            await qcow2.WriteAsync(0, new byte[64L << 20].Select((_, i) => (byte)(i >> 12)).ToArray());
        }

        var args = shrink ? new[] { "resize", "--shrink", image, size } : ["resize", image, size];
        await ToolAsync(args);

        string info = await ExternalTool.RunOkAsync("qemu-img", "info", "--output=json", image);
        long expectedSize = shrink ? 40L << 20 : (64L << 20) + (3L << 30);
        info.Should().Contain($"\"virtual-size\": {expectedSize}");
        await ValidateAsync(image);
        await using var reopened = await Qcow2Image.OpenAsync(image, new Qcow2OpenOptions { ReadOnly = true });
        var tail = new byte[4096];
        await reopened.ReadAsync(Math.Min(expectedSize, 64L << 20) - 4096, tail);
        tail.Should().OnlyContain(b => b == (byte)((Math.Min(expectedSize, 64L << 20) - 4096) >> 12));
    }

    [Test]
    public async Task Shrinking_without_the_flag_is_refused_and_changes_nothing()
    {
        string image = PathOf("n.qcow2");
        await ToolAsync("create", "-q", image, "64M");
        using var output = new StringWriter();
        using var error = new StringWriter();

        int code = await ImageTool.RunAsync(["resize", image, "32M"], output, error);

        code.Should().Be(1);
        error.ToString().Should().Contain("--shrink");
        (await ExternalTool.RunOkAsync("qemu-img", "info", "--output=json", image)).Should().Contain("\"virtual-size\": 67108864");
    }
}
