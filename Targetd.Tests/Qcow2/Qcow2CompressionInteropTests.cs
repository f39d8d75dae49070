using Targetd.Qcow2;
using Targetd.Qcow2.Cli;
using Targetd.Tests.Support;

namespace Targetd.Tests.Qcow2;

/// <summary>Compressed images we write (convert -c) are read by QEMU, pass its check, and survive overwrites.</summary>
[Category("Interop")]
public sealed class Qcow2CompressionInteropTests
{
    private DirectoryInfo _directory = null!;

    [SetUp]
    public void SetUp()
    {
        ExternalTool.Require("qemu-img");
        _directory = Directory.CreateTempSubdirectory("targetd-qcow2-comp-");
    }

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    [TestCase("zlib", "64K", "16")]
    [TestCase("zstd", "64K", "16")]
    [TestCase("zlib", "512", "16")]
    [TestCase("zstd", "4K", "64")]
    [TestCase("zlib", "2M", "8")]
    [TestCase("zlib", "64K", "1")]
    [CancelAfter(120_000)]
    public async Task Convert_with_compression_makes_an_image_qemu_reads_and_checks_clean(string type, string clusterSize, string refcountBits)
    {
        var source = new byte[12 << 20];
        var random = new Random(3);
        for (int i = 0; i < source.Length; i += 4096)
        {
            // Text-like content compresses; a random stretch does not.
            source.AsSpan(i, 4096).Fill((byte)('a' + (i / 4096 % 26)));
        }

        random.NextBytes(source.AsSpan(6 << 20, 1 << 20));
        await File.WriteAllBytesAsync(PathOf("src.raw"), source);
        string image = PathOf("c.qcow2");
        using var output = new StringWriter();
        using var error = new StringWriter();

        int code = await ImageTool.RunAsync(["convert", "-c", "-O", "qcow2", "-o", $"compression_type={type},cluster_size={clusterSize},refcount_bits={refcountBits}", PathOf("src.raw"), image], output, error);

        code.Should().Be(0, error.ToString());
        await ValidateAsync(image, PathOf("src.raw"));
        if (refcountBits != "1" && clusterSize != "2M")
        {
            // Packed compressed clusters share host clusters (not possible with 1-bit refcounts; 2M metadata clusters dominate).
            new FileInfo(image).Length.Should().BeLessThan(source.Length / 2, "the compressible part shrank");
        }

        // Overwrites copy compressed clusters out and release their shared host clusters.
        await using (var qcow2 = await Qcow2Image.OpenAsync(image))
        {
            var patch = new byte[100_000];
            random.NextBytes(patch);
            await qcow2.WriteAsync(123_456, patch);
            patch.CopyTo(source, 123_456);
            await qcow2.DiscardAsync(2 << 20, 1 << 20);
            Array.Clear(source, 2 << 20, 1 << 20);
        }

        await File.WriteAllBytesAsync(PathOf("expected.raw"), source);
        await ValidateAsync(image, PathOf("expected.raw"));
    }

    private static async Task ValidateAsync(string image, string expected)
    {
        var result = await ExternalTool.RunAsync("bash", Path.Combine(ExternalTool.SharedDirectory, "qcow2", "validate-image.sh"), image, expected);
        result.ExitCode.Should().Be(0, result.StandardOutput + result.StandardError);
    }
}
