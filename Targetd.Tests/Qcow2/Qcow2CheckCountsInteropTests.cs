using System.Globalization;
using System.Text.Json;
using Targetd.Qcow2.Cli;
using Targetd.Tests.Support;

namespace Targetd.Tests.Qcow2;

/// <summary>
/// <c>image check</c> prints what <c>qemu-img check</c> prints for images QEMU wrote: every JSON key with the same
/// count, the same human summary and the same exit status.
/// </summary>
[Category("Interop")]
public sealed class Qcow2CheckCountsInteropTests
{
    private DirectoryInfo _directory = null!;

    [SetUp]
    public void SetUp()
    {
        ExternalTool.Require("qemu-img");
        ExternalTool.Require("qemu-io");
        _directory = Directory.CreateTempSubdirectory("targetd-qcow2-check-");
    }

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    private static string Mib(int mib) => (mib * 1024L * 1024).ToString(CultureInfo.InvariantCulture);

    private static async Task QemuIoAsync(string image, params string[] commands)
    {
        var args = new List<string> { "-f", "qcow2" };
        foreach (string command in commands)
        {
            args.Add("-c");
            args.Add(command);
        }

        args.Add(image);
        await ExternalTool.RunOkAsync("qemu-io", [.. args]);
    }

    /// <summary>Writes 1 MiB at each offset (in MiB), in that order, so the host clusters are out of guest order.</summary>
    private static Task WriteScatteredAsync(string image, byte pattern, params int[] mibs) =>
        QemuIoAsync(image, [.. mibs.Select(m => $"write -P {pattern} {Mib(m)} 1M")]);

    /// <summary>A new 64 MiB image with 1 MiB of <paramref name="pattern"/> at each offset (in MiB), in that order.</summary>
    private static async Task CreateWrittenAsync(string image, byte pattern, params int[] mibs)
    {
        await ExternalTool.RunOkAsync("qemu-img", "create", "-q", "-f", "qcow2", image, "64M");
        await WriteScatteredAsync(image, pattern, mibs);
    }

    private static async Task<(int Code, string Output)> OursAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await ImageTool.RunAsync(args, output, error);
        return (code, output.ToString());
    }

    private static Dictionary<string, string> Keys(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString());
    }

    /// <summary>Checks <paramref name="image"/> with both tools, JSON and human, and returns qemu-img's JSON keys.</summary>
    private static async Task<Dictionary<string, string>> BothAgreeAsync(string image, params string[] options)
    {
        var qemuJson = await ExternalTool.RunAsync("qemu-img", ["check", .. options, "--output=json", image]);
        var oursJson = await OursAsync(["check", .. options, "--output=json", image]);
        var qemuHuman = await ExternalTool.RunAsync("qemu-img", ["check", .. options, image]);
        var oursHuman = await OursAsync(["check", .. options, image]);

        var expected = Keys(qemuJson.StandardOutput);
        Keys(oursJson.Output).Should().BeEquivalentTo(expected, $"qemu-img printed {qemuJson.StandardOutput}");
        oursJson.Output.Should().Be(qemuJson.StandardOutput, "the keys come in qemu-img's order and indentation");
        oursJson.Code.Should().Be(qemuJson.ExitCode);
        oursHuman.Output.Should().Be(qemuHuman.StandardOutput);
        oursHuman.Code.Should().Be(qemuHuman.ExitCode);
        return expected;
    }

    [Test]
    public async Task A_fresh_image_written_out_of_order_has_qemu_imgs_allocated_and_fragmented_counts()
    {
        string image = PathOf("fresh.qcow2");
        await ExternalTool.RunOkAsync("qemu-img", "create", "-q", "-f", "qcow2", image, "64M");
        var empty = await BothAgreeAsync(image);
        await WriteScatteredAsync(image, 1, 40, 3, 20, 10, 1, 30);
        await QemuIoAsync(image, $"write -P 2 {Mib(2)} 64k", $"write -P 2 {Mib(50)} 192k");

        var written = await BothAgreeAsync(image);

        empty.Should().NotContainKey("allocated-clusters", "qemu-img leaves out counts that are zero");
        written["allocated-clusters"].Should().Be("100");
        int.Parse(written["fragmented-clusters"], CultureInfo.InvariantCulture).Should().BeGreaterThan(0);
    }

    [Test]
    public async Task Two_internal_snapshots_count_only_the_active_layer()
    {
        // 1 GiB: two L2 tables, and fragmentation is counted within each table.
        string image = PathOf("snapshots.qcow2");
        await ExternalTool.RunOkAsync("qemu-img", "create", "-q", "-f", "qcow2", image, "1G");
        await WriteScatteredAsync(image, 1, 40, 3, 20, 700, 600);
        await ExternalTool.RunOkAsync("qemu-img", "snapshot", "-c", "one", image);
        await WriteScatteredAsync(image, 2, 3, 50, 10, 650);
        await QemuIoAsync(image, $"write -z {Mib(40)} 64k", $"write -z {Mib(100)} 128k");
        await ExternalTool.RunOkAsync("qemu-img", "snapshot", "-c", "two", image);
        await QemuIoAsync(image, $"write -P 3 {Mib(20)} 512k", $"write -P 3 {Mib(60)} 512k");

        var keys = await BothAgreeAsync(image);

        keys["allocated-clusters"].Should().Be("136", "8 MiB written plus 512 KiB at 60 MiB, in 64 KiB clusters");
        keys.Should().ContainKey("fragmented-clusters");
    }

    [Test]
    public async Task A_compressed_image_counts_every_compressed_cluster_as_fragmented()
    {
        string source = PathOf("source.qcow2");
        string image = PathOf("compressed.qcow2");
        await CreateWrittenAsync(source, 7, 9, 2, 33);
        await ExternalTool.RunOkAsync("qemu-img", "convert", "-c", "-O", "qcow2", source, image);

        var keys = await BothAgreeAsync(image);

        keys["compressed-clusters"].Should().Be("48");
        keys["fragmented-clusters"].Should().Be("48");
    }

    [Test]
    public async Task An_overlay_counts_its_own_clusters_not_its_backing_files()
    {
        string backing = PathOf("backing.qcow2");
        string overlay = PathOf("overlay.qcow2");
        await CreateWrittenAsync(backing, 1, 1, 5, 9);
        await ExternalTool.RunOkAsync("qemu-img", "create", "-q", "-f", "qcow2", "-b", "backing.qcow2", "-F", "qcow2", overlay);
        await QemuIoAsync(overlay, $"write -P 5 {Mib(5)} 256k", $"write -P 5 {Mib(1)} 64k");

        var keys = await BothAgreeAsync(overlay);

        keys["allocated-clusters"].Should().Be("5");
    }

    [Test]
    public async Task Extended_l2_subclusters_are_counted_per_cluster()
    {
        string image = PathOf("extended.qcow2");
        await ExternalTool.RunOkAsync("qemu-img", "create", "-q", "-f", "qcow2", "-o", "extended_l2=on,cluster_size=128k", image, "64M");
        await QemuIoAsync(image, "write -P 1 0 4k", $"write -P 1 {Mib(10)} 300k", $"write -P 2 {Mib(4)} 8k");

        var keys = await BothAgreeAsync(image);

        keys["allocated-clusters"].Should().Be("5");
    }

    [Test]
    public async Task Leaks_and_corruptions_and_their_repair_are_counted_as_qemu_img_counts_them()
    {
        ExternalTool.Require("python3");
        string tamper = Path.Combine(ExternalTool.SharedDirectory, "qcow2", "tamper.py");
        string image = PathOf("tampered.qcow2");
        await ExternalTool.RunOkAsync("qemu-img", "create", "-q", "-f", "qcow2", image, "64M");
        await QemuIoAsync(image, "write -P 1 0 128k");
        long clusters = new FileInfo(image).Length / 65536;
        await using (var file = new FileStream(image, FileMode.Open))
        {
            file.SetLength((clusters + 1) * 65536);
        }

        // A cluster inside the file counted but unused (a leak), then a data cluster counted as free (a corruption,
        // and a COPIED flag that no longer matches).
        await ExternalTool.RunOkAsync("python3", tamper, image, "setref", clusters.ToString(CultureInfo.InvariantCulture), "1");
        File.Copy(image, PathOf("leaky.qcow2"));
        await ExternalTool.RunOkAsync("python3", tamper, image, "setref", "5", "0");

        var both = await BothAgreeAsync(image);
        var leaky = await BothAgreeAsync(PathOf("leaky.qcow2"));
        File.Copy(PathOf("leaky.qcow2"), PathOf("leaky-ours.qcow2"));
        var qemuRepair = await ExternalTool.RunAsync("qemu-img", "check", "-r", "leaks", "--output=json", PathOf("leaky.qcow2"));
        var oursRepair = await OursAsync("check", "-r", "leaks", "--output=json", PathOf("leaky-ours.qcow2"));

        both["corruptions"].Should().Be("2");
        both["leaks"].Should().Be("1");
        leaky["leaks"].Should().Be("1");
        var repaired = Keys(qemuRepair.StandardOutput);
        repaired["leaks-fixed"].Should().Be("1");
        repaired["filename"] = PathOf("leaky-ours.qcow2");
        Keys(oursRepair.Output).Should().BeEquivalentTo(repaired, "after a repair both report the second check");
        oursRepair.Code.Should().Be(qemuRepair.ExitCode);
    }
}
