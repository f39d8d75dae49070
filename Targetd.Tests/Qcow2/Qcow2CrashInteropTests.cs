using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Targetd.Qcow2;
using Targetd.Tests.Support;

namespace Targetd.Tests.Qcow2;

/// <summary>
/// Crash consistency: a writer process runs a seeded workload on an image and is killed (SIGKILL) at a random
/// moment, round after round. Each time QEMU must find no corruption (leaks are allowed), and every sector must
/// read back, through our engine and through <c>qemu-img convert</c>, as the replayed workload left it at the
/// last flush the writer acknowledged, or, where a later operation touched it, as of one of those operations.
/// </summary>
[Category("Interop")]
public sealed class Qcow2CrashInteropTests
{
    private const long Size = 64L << 20;
    private const int FlushEvery = 40;
    private const int Depth = 8;
    private const int MaxOperations = 1_000_000;
    private DirectoryInfo _directory = null!;

    [SetUp]
    public void SetUp()
    {
        ExternalTool.Require("qemu-img");
        ExternalTool.Require("dotnet");
        _directory = Directory.CreateTempSubdirectory("targetd-qcow2-crash-");
    }

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    public static IEnumerable<TestCaseData> Scenarios()
    {
        yield return new TestCaseData(new Qcow2CreateOptions(), false, false, 0L, 16).SetName("fresh_image_each_round");
        yield return new TestCaseData(new Qcow2CreateOptions(), false, true, 0L, 16).SetName("same_image_reopened_after_each_crash");
        yield return new TestCaseData(new Qcow2CreateOptions(), true, true, 0L, 16).SetName("overlay_on_qcow2_reopened_after_each_crash");
        yield return new TestCaseData(new Qcow2CreateOptions { ClusterSize = 4096 }, false, true, 32L << 10, 16).SetName("cluster_4K_small_metadata_cache_reopened");
        yield return new TestCaseData(new Qcow2CreateOptions { ClusterSize = 4096 }, true, false, 32L << 10, 16).SetName("overlay_cluster_4K_small_metadata_cache_fresh");
        yield return new TestCaseData(new Qcow2CreateOptions { ClusterSize = 512, RefcountBits = 64 }, false, true, 16L << 10, 10).SetName("cluster_512_refcount_64_growing_refcount_table_reopened");
    }

    [TestCaseSource(nameof(Scenarios))]
    [CancelAfter(240_000)]
    public async Task Killed_writer_leaves_a_consistent_image_holding_every_flushed_write(Qcow2CreateOptions options, bool withBacking, bool continuing, long cacheBytes, int rounds)
    {
        string writer = Path.Combine(TestContext.CurrentContext.TestDirectory, "Targetd.Tests.CrashWriter.dll");
        File.Exists(writer).Should().BeTrue("the crash writer is built beside the tests");
        string path = Path.Combine(_directory.FullName, "image.qcow2");
        var initial = new byte[Size];
        if (withBacking)
        {
            options = options with { BackingFile = await CreateBackingAsync(initial), BackingFormat = Qcow2BackingFormat.Qcow2 };
        }
        else
        {
            options = options with { Size = Size };
        }

        var random = new Random(TestContext.CurrentContext.Test.Name.Length * 7919);
        byte[] baseline = initial;
        int flushedRounds = 0;
        for (int round = 0; round < rounds; round++)
        {
            if (round == 0 || !continuing)
            {
                File.Delete(path);
                await CreateImageAsync(path, options, useQemu: round % 2 == 1);
                baseline = initial;
            }

            int seed = random.Next();
            int delay = random.Next(0, 1500);
            var (lastFlushed, finished) = await RunWriterUntilKilledAsync(writer, path, seed, cacheBytes, delay);
            var expectation = CrashExpectation.Build(baseline, seed, lastFlushed, finished ? lastFlushed : lastFlushed + FlushEvery);
            flushedRounds += lastFlushed >= 0 ? 1 : 0;
            string context = $"round {round}: seed {seed}, killed {delay} ms after opening, last flush covered operation {lastFlushed}";
            TestContext.Progress.WriteLine($"{TestContext.CurrentContext.Test.Name} {context}, {expectation.UndeterminedSectors} undetermined sectors");

            await AssertNoCorruptionAsync(path, context);
            var ours = await ReadWithEngineAsync(path);
            var theirs = await ReadWithQemuAsync(path);
            expectation.Mismatches(ours, baseline).Should().BeEmpty($"our engine reads every flushed write back ({context})");
            expectation.Mismatches(theirs, baseline).Should().BeEmpty($"qemu-img reads every flushed write back ({context})");
            ours.AsSpan().SequenceEqual(theirs).Should().BeTrue($"our engine and qemu-img read the same content ({context})");
            baseline = theirs;
        }

        flushedRounds.Should().BeGreaterThan(rounds / 4, "many writers live long enough to acknowledge a flush");

        // The last crashed image opens for writing, its leaks repair, and it then passes QEMU's full validation.
        await using (var image = await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { MetadataCacheBytes = cacheBytes > 0 ? cacheBytes : Qcow2OpenOptions.DefaultMetadataCacheBytes }))
        {
            var repaired = await image.CheckAsync(Qcow2RepairMode.Leaks);
            repaired.Corruptions.Should().Be(0, string.Join("; ", repaired.Messages));
        }

        string expected = Path.Combine(_directory.FullName, "expected.raw");
        await File.WriteAllBytesAsync(expected, baseline);
        var validation = await ExternalTool.RunAsync("bash", Path.Combine(ExternalTool.SharedDirectory, "qcow2", "validate-image.sh"), path, expected);
        validation.ExitCode.Should().Be(0, validation.StandardOutput + validation.StandardError);
    }

    /// <summary>Starts the writer, kills it after <paramref name="delay"/> ms; the last flush it printed, and whether it ran to the end.</summary>
    private static async Task<(int LastFlushed, bool Finished)> RunWriterUntilKilledAsync(string writer, string image, int seed, long cacheBytes, int delay)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { writer, image, Format(seed), Format(FlushEvery), Format(Depth), Format(cacheBytes), Format(MaxOperations) })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = ReadAllAsync(process.StandardOutput, opened);
        var error = process.StandardError.ReadToEndAsync();
        var exited = process.WaitForExitAsync();

        // The delay runs from the moment the image is open, so that it is spent on the workload.
        await Task.WhenAny(opened.Task, exited, Task.Delay(TimeSpan.FromSeconds(60)));
        bool killed = false;
        if (await Task.WhenAny(exited, Task.Delay(delay)) != exited)
        {
            process.Kill();
            killed = true;
        }

        await process.WaitForExitAsync();
        string printed = await output;
        string errors = await error;
        errors.Should().NotContain("Exception", "the writer fails only by being killed");
        if (!killed)
        {
            process.ExitCode.Should().Be(0, errors);
        }

        // Only whole lines count: a line cut short by the kill was never acknowledged.
        var lines = printed.Split('\n')[..^1];
        int lastFlushed = lines.Where(l => l.StartsWith("flushed ", StringComparison.Ordinal))
            .Select(l => int.Parse(l["flushed ".Length..], CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Last();
        bool finished = lines.Contains("done");
        return (finished ? MaxOperations - 1 : lastFlushed, finished);
    }

    private static async Task<string> ReadAllAsync(StreamReader reader, TaskCompletionSource opened)
    {
        var printed = new System.Text.StringBuilder();
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            printed.Append(buffer, 0, read);
            if (!opened.Task.IsCompleted && printed.ToString().Contains("opened\n", StringComparison.Ordinal))
            {
                opened.TrySetResult();
            }
        }

        opened.TrySetResult();
        return printed.ToString();
    }

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static async Task AssertNoCorruptionAsync(string path, string context)
    {
        var check = await ExternalTool.RunAsync("qemu-img", "check", "--output=json", "-f", "qcow2", path);
        check.ExitCode.Should().BeOneOf([0, 3], $"qemu-img check finds leaks at most ({context}): {check.StandardOutput}{check.StandardError}");
        using var json = JsonDocument.Parse(check.StandardOutput);
        foreach (string counter in new[] { "corruptions", "check-errors" })
        {
            (json.RootElement.TryGetProperty(counter, out var value) ? value.GetInt32() : 0).Should().Be(0, $"{counter} in {check.StandardOutput} ({context})");
        }

        await using var image = await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { ReadOnly = true });
        var ours = await image.CheckAsync();
        ours.Corruptions.Should().Be(0, $"our check agrees ({context}): {string.Join("; ", ours.Messages)}");
    }

    private static async Task<byte[]> ReadWithEngineAsync(string path)
    {
        await using var image = await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { ReadOnly = true });
        var content = new byte[image.Length];
        await image.ReadAsync(0, content);
        return content;
    }

    private async Task<byte[]> ReadWithQemuAsync(string path)
    {
        string raw = Path.Combine(_directory.FullName, "converted.raw");
        await ExternalTool.RunOkAsync("qemu-img", "convert", "-f", "qcow2", "-O", "raw", path, raw);
        var content = await File.ReadAllBytesAsync(raw);
        File.Delete(raw);
        return content;
    }

    private static async Task CreateImageAsync(string path, Qcow2CreateOptions options, bool useQemu)
    {
        if (!useQemu)
        {
            await using var image = await Qcow2Image.CreateAsync(path, options);
            return;
        }

        var arguments = new List<string> { "create", "-q", "-f", "qcow2", "-o", $"cluster_size={options.ClusterSize},refcount_bits={options.RefcountBits}" };
        if (options.BackingFile is { } backing)
        {
            arguments.AddRange(["-b", backing, "-F", options.BackingFormat == Qcow2BackingFormat.Raw ? "raw" : "qcow2"]);
        }

        arguments.Add(path);
        if (options.Size is { } size)
        {
            arguments.Add(Format(size));
        }

        await ExternalTool.RunOkAsync("qemu-img", [.. arguments]);
    }

    private async Task<string> CreateBackingAsync(byte[] content)
    {
        var random = new Random(42);
        for (int i = 0; i < 60; i++)
        {
            int length = random.Next(1, 1 << 20);
            long offset = random.NextInt64(Size - length);
            random.NextBytes(content.AsSpan((int)offset, length));
        }

        const string name = "backing.qcow2";
        await using var backing = await Qcow2Image.CreateAsync(Path.Combine(_directory.FullName, name), new Qcow2CreateOptions { Size = Size });
        await backing.WriteAsync(0, content);
        return name;
    }
}
