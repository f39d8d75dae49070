using System.Globalization;
using System.Text.RegularExpressions;
using Targetd.Qcow2.Cli;
using Targetd.Tests.Support;

namespace Targetd.Tests.Qcow2;

/// <summary><c>image convert -p</c> prints progress as qemu-img does; <c>image check</c> has no <c>-p</c>, as qemu-img's has none.</summary>
public sealed partial class ImageToolProgressTests
{
    private DirectoryInfo _directory = null!;

    [SetUp]
    public void SetUp() => _directory = Directory.CreateTempSubdirectory("targetd-image-progress-");

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    [GeneratedRegex(@"^    \((\d{1,3}\.\d\d)/100%\)$")]
    private static partial Regex ProgressLine();

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await ImageTool.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>The percentages of the progress lines, after checking each line's format and the final newline.</summary>
    private static List<double> Percentages(string output)
    {
        output.Should().EndWith("    (100.00/100%)\r\n");
        var lines = output[..^1].Split('\r', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().AllSatisfy(line => ProgressLine().IsMatch(line).Should().BeTrue($"'{line}' is a qemu-img progress line"));
        return [.. lines.Select(line => double.Parse(ProgressLine().Match(line).Groups[1].Value, CultureInfo.InvariantCulture))];
    }

    private async Task<string> SourceAsync()
    {
        // 12 MiB of data in three runs, with holes between them, in a 32 MiB raw file.
        var content = new byte[32 << 20];
        var random = new Random(3);
        random.NextBytes(content.AsSpan(0, 4 << 20));
        random.NextBytes(content.AsSpan(10 << 20, 5 << 20));
        random.NextBytes(content.AsSpan(29 << 20, 3 << 20));
        string path = PathOf("source.raw");
        await File.WriteAllBytesAsync(path, content);
        return path;
    }

    [Test]
    public async Task Convert_p_prints_monotonic_qemu_progress_lines_from_0_to_100()
    {
        string source = await SourceAsync();

        var result = await RunAsync("convert", "-p", "-O", "qcow2", source, PathOf("out.qcow2"));

        result.Code.Should().Be(0, result.Error);
        var percentages = Percentages(result.Output);
        percentages[0].Should().Be(0);
        percentages[^1].Should().Be(100);
        percentages.Should().BeInAscendingOrder();
        percentages.Count.Should().BeGreaterThan(3, "a line for every chunk that moves the percentage by more than one point");
        percentages.Zip(percentages.Skip(1)).Where(p => p.Second < 100).Should().AllSatisfy(p => (p.Second - p.First).Should().BeGreaterThan(1));
    }

    [Test]
    public async Task Convert_p_with_q_and_convert_without_p_print_nothing()
    {
        string source = await SourceAsync();

        var quiet = await RunAsync("convert", "-p", "-q", "-O", "raw", source, PathOf("quiet.raw"));
        var plain = await RunAsync("convert", "-O", "raw", source, PathOf("plain.raw"));

        quiet.Output.Should().BeEmpty();
        plain.Output.Should().BeEmpty();
    }

    [Test]
    public void Progress_skips_steps_of_one_point_or_less_but_never_0_or_100()
    {
        using var output = new StringWriter();
        var progress = new QemuProgress(output);

        foreach (double value in new[] { 0, 0.5, 1.0, 1.01, 1.5, 2.02, 50, 50.9, 99.5, 100, 100 })
        {
            progress.Report(value);
        }

        progress.End();

        output.ToString().Should().Be("    (0.00/100%)\r    (1.01/100%)\r    (2.02/100%)\r    (50.00/100%)\r    (99.50/100%)\r    (100.00/100%)\r    (100.00/100%)\r\n");
    }

    [Test]
    public async Task Check_refuses_p_as_qemu_img_check_does()
    {
        var result = await RunAsync("check", "-p", PathOf("any.qcow2"));

        result.Code.Should().Be(1);
        result.Error.Should().Be("qemu-img: unrecognized option '-p'" + Environment.NewLine);
    }

    [Test]
    [Category("Interop")]
    public async Task Convert_p_starts_and_ends_like_qemu_img_convert_p()
    {
        ExternalTool.Require("qemu-img");
        string source = await SourceAsync();

        var qemu = await ExternalTool.RunAsync("qemu-img", "convert", "-p", "-O", "qcow2", source, PathOf("qemu.qcow2"));
        var qemuCheck = await ExternalTool.RunAsync("qemu-img", "check", "-p", PathOf("qemu.qcow2"));
        var ours = await RunAsync("convert", "-p", "-O", "qcow2", source, PathOf("ours.qcow2"));

        qemu.ExitCode.Should().Be(0, qemu.StandardError);
        var expected = Percentages(qemu.StandardOutput);
        var actual = Percentages(ours.Output);
        actual[0].Should().Be(expected[0]);
        actual[^2..].Should().Equal(expected[^2..], "both print 100 when the copy is done and again at the end");
        qemuCheck.ExitCode.Should().Be(1);
        qemuCheck.StandardError.Should().StartWith("qemu-img: unrecognized option '-p'");
    }
}
