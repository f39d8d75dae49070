using Targetd.Qcow2;
using Targetd.Tests.Support;

namespace Targetd.Tests.Qcow2;

/// <summary>Every image of the QEMU-built corpus reads back byte-exact against QEMU's own raw export.</summary>
[Category("Interop")]
[NonParallelizable]
public sealed class Qcow2CorpusInteropTests
{
    private static DirectoryInfo? _corpus;

    [OneTimeSetUp]
    public async Task BuildCorpus()
    {
        ExternalTool.Require("qemu-img");
        ExternalTool.Require("qemu-io");
        _corpus = Directory.CreateTempSubdirectory("targetd-qcow2-corpus-");
        await ExternalTool.RunOkAsync("bash", Path.Combine(ExternalTool.SharedDirectory, "qcow2", "make-test-images.sh"), _corpus.FullName);
    }

    [OneTimeTearDown]
    public void RemoveCorpus() => _corpus?.Delete(recursive: true);

    private static IEnumerable<string> ReadableImages() =>
    [
        "v2", "v3", "cs_512", "cs_1K", "cs_2K", "cs_4K", "cs_8K", "cs_16K", "cs_32K", "cs_64K", "cs_128K", "cs_256K",
        "cs_512K", "cs_1M", "cs_2M", "rb_1", "rb_2", "rb_4", "rb_8", "rb_16", "rb_32", "rb_64", "comp_zlib", "comp_zstd",
        "comp_v2", "comp_cs_512", "comp_cs_4K", "comp_cs_2M", "comp_rb1", "comp_el2", "mixed_comp", "el2_16K", "el2_64K",
        "el2_2M", "zero", "lazy", "lazy_dirty", "pre_off", "pre_metadata", "pre_falloc", "pre_full", "pre_meta_el2", "base",
        "mid", "top", "onraw", "small_over_big", "big_over_small", "v2_overlay", "snap", "snap_deleted", "snap_applied",
        "snap_v2", "ext", "extraw", "extpre", "bitmaps", "resized",
    ];

    [TestCaseSource(nameof(ReadableImages))]
    [CancelAfter(60_000)]
    public async Task Image_reads_back_byte_exact(string name)
    {
        string image = Path.Combine(_corpus!.FullName, name + ".qcow2");
        string expectedPath = Path.Combine(_corpus.FullName, name + ".expected.raw");
        await using var qcow2 = await Qcow2Image.OpenAsync(image, new Qcow2OpenOptions { ReadOnly = true });
        await using var expected = File.OpenRead(expectedPath);

        qcow2.Length.Should().Be(expected.Length);
        var ours = new byte[1 << 20];
        var theirs = new byte[1 << 20];
        for (long offset = 0; offset < qcow2.Length; offset += ours.Length)
        {
            int count = (int)Math.Min(ours.Length, qcow2.Length - offset);
            await qcow2.ReadAsync(offset, ours.AsMemory(0, count));
            await expected.ReadExactlyAsync(theirs.AsMemory(0, count));
            if (!ours.AsSpan(0, count).SequenceEqual(theirs.AsSpan(0, count)))
            {
                int at = ours.AsSpan(0, count).CommonPrefixLength(theirs.AsSpan(0, count));
                Assert.Fail($"{name}: content differs at byte {offset + at}");
            }
        }
    }

    [TestCase("luks", "LUKS")]
    [TestCase("aes", "AES")]
    public async Task Encrypted_image_is_refused_with_a_clear_message(string name, string kind)
    {
        string image = Path.Combine(_corpus!.FullName, name + ".qcow2");
        if (!File.Exists(image))
        {
            Prerequisite.Missing($"qemu-img could not create {name}.qcow2 on this machine.");
        }

        var open = async () => await Qcow2Image.OpenAsync(image, new Qcow2OpenOptions { ReadOnly = true });

        await open.Should().ThrowAsync<Qcow2FormatException>().WithMessage($"*Encrypted*{kind}*");
    }

    [Test]
    public async Task Multi_cluster_L1_image_opens_and_reads_zeroes()
    {
        await using var image = await Qcow2Image.OpenAsync(Path.Combine(_corpus!.FullName, "big_l1.qcow2"), new Qcow2OpenOptions { ReadOnly = true });
        var tail = new byte[65536];
        await image.ReadAsync(image.Length - tail.Length, tail);

        image.Length.Should().Be(4L << 40);
        tail.Should().OnlyContain(b => b == 0);
    }

    [Test]
    public async Task Dirty_lazy_refcount_image_is_repaired_on_read_write_open()
    {
        string copy = Path.Combine(_corpus!.FullName, "lazy_dirty_copy.qcow2");
        File.Copy(Path.Combine(_corpus.FullName, "lazy_dirty.qcow2"), copy, overwrite: true);
        (await ExternalTool.RunAsync("qemu-img", "check", copy)).ExitCode.Should().Be(2, "QEMU sees the stale refcounts");

        await using (var image = await Qcow2Image.OpenAsync(copy))
        {
            image.IsDirty.Should().BeFalse();
            await image.WriteAsync(8L << 20, new byte[] { 1, 2, 3 });
        }

        var validation = await ExternalTool.RunAsync("bash", Path.Combine(ExternalTool.SharedDirectory, "qcow2", "validate-image.sh"), copy);
        validation.ExitCode.Should().Be(0, validation.StandardOutput + validation.StandardError);
    }

    [TestCase("zero")]
    [TestCase("top")]
    [TestCase("el2_64K")]
    [TestCase("big_over_small")]
    public async Task Our_map_equals_qemu_img_map(string name)
    {
        string image = Path.Combine(_corpus!.FullName, name + ".qcow2");
        using var output = new StringWriter();
        using var error = new StringWriter();

        int code = await Targetd.Qcow2.Cli.ImageTool.RunAsync(["map", "--output=json", image], output, error);
        string theirs = await ExternalTool.RunOkAsync("qemu-img", "map", "--output=json", image);

        code.Should().Be(0, error.ToString());
        Normalize(output.ToString()).Should().Be(Normalize(theirs));
    }

    private static string Normalize(string json) => string.Concat(json.Where(c => !char.IsWhiteSpace(c)));

    [TestCase("v3")]
    [TestCase("comp_zstd")]
    [TestCase("snap")]
    [TestCase("el2_64K")]
    [TestCase("bitmaps")]
    [TestCase("rb_1")]
    public async Task Our_check_agrees_that_a_qemu_image_is_clean(string name)
    {
        await using var image = await Qcow2Image.OpenAsync(Path.Combine(_corpus!.FullName, name + ".qcow2"), new Qcow2OpenOptions { ReadOnly = true });

        var result = await image.CheckAsync();

        result.Messages.Should().BeEmpty();
        result.ExitCode.Should().Be(0);
    }
}
