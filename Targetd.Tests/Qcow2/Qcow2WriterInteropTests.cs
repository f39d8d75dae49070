using Targetd.Qcow2;
using Targetd.Tests.Support;

namespace Targetd.Tests.Qcow2;

/// <summary>
/// Images we create and fill with a seeded random workload (writes, zero-writes and discards of random
/// lengths, many in flight at once) match an in-memory model and pass QEMU's own check.
/// </summary>
[Category("Interop")]
public sealed class Qcow2WriterInteropTests
{
    private const long Size = 32L << 20;
    private DirectoryInfo _directory = null!;

    [SetUp]
    public void SetUp()
    {
        ExternalTool.Require("qemu-img");
        _directory = Directory.CreateTempSubdirectory("targetd-qcow2-writer-");
    }

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    public static IEnumerable<TestCaseData> Layouts()
    {
        yield return new TestCaseData(new Qcow2CreateOptions { Version = 2 }, null).SetName("v2");
        yield return new TestCaseData(new Qcow2CreateOptions(), null).SetName("v3");
        yield return new TestCaseData(new Qcow2CreateOptions { ClusterSize = 512 }, null).SetName("cluster_512");
        yield return new TestCaseData(new Qcow2CreateOptions { ClusterSize = 4096, RefcountBits = 1 }, null).SetName("cluster_4K_refcount_1");
        yield return new TestCaseData(new Qcow2CreateOptions { ClusterSize = 2 << 20, RefcountBits = 64 }, null).SetName("cluster_2M_refcount_64");
        yield return new TestCaseData(new Qcow2CreateOptions { RefcountBits = 2 }, null).SetName("refcount_2");
        yield return new TestCaseData(new Qcow2CreateOptions { RefcountBits = 32 }, null).SetName("refcount_32");
        yield return new TestCaseData(new Qcow2CreateOptions { ExtendedL2 = true }, null).SetName("extended_l2");
        yield return new TestCaseData(new Qcow2CreateOptions { ExtendedL2 = true, ClusterSize = 16384 }, "qcow2").SetName("extended_l2_overlay");
        yield return new TestCaseData(new Qcow2CreateOptions { LazyRefcounts = true }, null).SetName("lazy_refcounts");
        yield return new TestCaseData(new Qcow2CreateOptions { CompressionType = Qcow2CompressionType.Zstd }, null).SetName("zstd");
        yield return new TestCaseData(new Qcow2CreateOptions { Preallocation = Qcow2Preallocation.Metadata }, null).SetName("preallocation_metadata");
        yield return new TestCaseData(new Qcow2CreateOptions(), "qcow2").SetName("overlay_on_qcow2");
        yield return new TestCaseData(new Qcow2CreateOptions { Version = 2 }, "qcow2").SetName("v2_overlay_on_qcow2");
        yield return new TestCaseData(new Qcow2CreateOptions { ClusterSize = 4096 }, "raw").SetName("overlay_on_raw");
    }

    [TestCaseSource(nameof(Layouts))]
    [CancelAfter(120_000)]
    public async Task Random_workload_matches_the_model_and_passes_qemu_img_check(Qcow2CreateOptions options, string? backingFormat)
    {
        var model = new byte[Size];
        string path = Path.Combine(_directory.FullName, "image.qcow2");
        if (backingFormat is not null)
        {
            options = options with { BackingFile = await CreateBackingAsync(backingFormat, model), BackingFormat = backingFormat == "raw" ? Qcow2BackingFormat.Raw : Qcow2BackingFormat.Qcow2 };
        }
        else
        {
            options = options with { Size = Size };
        }

        await using (var image = await Qcow2Image.CreateAsync(path, options))
        {
            await RunWorkloadAsync(image, model, seed: options.GetHashCode() & 0xffff, operations: 3000);
            var back = new byte[Size];
            await image.ReadAsync(0, back);
            back.AsSpan().SequenceEqual(model).Should().BeTrue("the image reads what the model holds");
        }

        string expected = Path.Combine(_directory.FullName, "expected.raw");
        await File.WriteAllBytesAsync(expected, model);
        var validation = await ExternalTool.RunAsync("bash", Path.Combine(ExternalTool.SharedDirectory, "qcow2", "validate-image.sh"), path, expected);
        validation.ExitCode.Should().Be(0, validation.StandardOutput + validation.StandardError);
    }

    private async Task<string> CreateBackingAsync(string format, byte[] model)
    {
        var random = new Random(99);
        var content = new byte[Size];
        for (int i = 0; i < 40; i++)
        {
            int length = random.Next(1, 300_000);
            long offset = random.NextInt64(Size - length);
            random.NextBytes(content.AsSpan((int)offset, length));
        }

        content.CopyTo(model, 0);
        string name = "backing." + format;
        string path = Path.Combine(_directory.FullName, name);
        if (format == "raw")
        {
            await File.WriteAllBytesAsync(path, content);
        }
        else
        {
            await using var backing = await Qcow2Image.CreateAsync(path, new Qcow2CreateOptions { Size = Size, ClusterSize = 65536 });
            await backing.WriteAsync(0, content);
        }

        return name;
    }

    /// <summary>Batches of concurrent operations on disjoint ranges; each batch completes before the next.</summary>
    private static async Task RunWorkloadAsync(Qcow2Image image, byte[] model, int seed, int operations)
    {
        var random = new Random(seed);
        int done = 0;
        while (done < operations)
        {
            var batch = new List<Task>();
            var taken = new List<(long Start, long End)>();
            for (int i = 0; i < 16 && done < operations; i++, done++)
            {
                int length = random.Next(4) switch
                {
                    0 => random.Next(1, 513),
                    1 => random.Next(512, 70_000),
                    2 => 4096 * random.Next(1, 40),
                    _ => random.Next(1, 300_000),
                };
                long offset = random.Next(3) == 0 ? random.NextInt64(Size / 4096) * 4096 : random.NextInt64(Size - length);
                offset = Math.Min(offset, Size - length);
                if (taken.Any(t => offset < t.End && t.Start < offset + length))
                {
                    continue;
                }

                taken.Add((offset, offset + length));
                int kind = random.Next(10);
                if (kind < 7)
                {
                    var data = new byte[length];
                    random.NextBytes(data);
                    data.CopyTo(model, offset);
                    batch.Add(image.WriteAsync(offset, data).AsTask());
                }
                else
                {
                    Array.Clear(model, (int)offset, length);
                    batch.Add(kind < 9 ? image.WriteZeroesAsync(offset, length).AsTask() : image.DiscardAsync(offset, length).AsTask());
                }
            }

            await Task.WhenAll(batch);
            if (random.Next(8) == 0)
            {
                await image.FlushAsync();
            }
        }
    }
}
