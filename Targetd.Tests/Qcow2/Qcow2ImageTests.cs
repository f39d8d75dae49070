using Targetd.Qcow2;

namespace Targetd.Tests.Qcow2;

public sealed class Qcow2ImageTests
{
    private DirectoryInfo _directory = null!;

    [SetUp]
    public void SetUp() => _directory = Directory.CreateTempSubdirectory("targetd-qcow2-");

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    [TestCase(512, 16, false)]
    [TestCase(4096, 1, false)]
    [TestCase(65536, 16, false)]
    [TestCase(65536, 64, false)]
    [TestCase(65536, 2, true)]
    [TestCase(2 * 1024 * 1024, 8, false)]
    public async Task Written_data_reads_back_after_reopening_and_the_image_checks_clean(int clusterSize, int refcountBits, bool extendedL2)
    {
        string path = PathOf("a.qcow2");
        var data = new byte[300_000];
        new Random(clusterSize + refcountBits).NextBytes(data);
        await using (var image = await Qcow2Image.CreateAsync(path, new Qcow2CreateOptions { Size = 64L << 20, ClusterSize = clusterSize, RefcountBits = refcountBits, ExtendedL2 = extendedL2 }))
        {
            await image.WriteAsync(12_345, data);
            await image.WriteAsync(40L << 20, data.AsMemory(0, 1000));
        }

        await using var reopened = await Qcow2Image.OpenAsync(path);
        var back = new byte[data.Length];
        await reopened.ReadAsync(12_345, back);
        var check = await reopened.CheckAsync();

        back.Should().Equal(data);
        check.Messages.Should().BeEmpty();
        check.ExitCode.Should().Be(0);
    }

    [Test]
    public async Task Unwritten_ranges_read_as_zeroes_and_are_not_allocated()
    {
        await using var image = await Qcow2Image.CreateAsync(PathOf("z.qcow2"), new Qcow2CreateOptions { Size = 16L << 20 });
        await image.WriteAsync(1 << 20, new byte[] { 1, 2, 3 });

        var back = Enumerable.Repeat((byte)0xEE, 4096).ToArray();
        await image.ReadAsync(0, back);
        var extents = await image.GetAllocatedExtentsAsync(0, image.Length);

        back.Should().OnlyContain(b => b == 0);
        extents.Should().ContainSingle().Which.Should().Be(new Targetd.Core.BlockDevices.BlockExtent(1 << 20, 65536));
    }

    [Test]
    public async Task Discard_releases_clusters_so_they_are_reused()
    {
        string path = PathOf("d.qcow2");
        await using var image = await Qcow2Image.CreateAsync(path, new Qcow2CreateOptions { Size = 64L << 20 });
        var data = Enumerable.Repeat((byte)7, 4 << 20).ToArray();
        await image.WriteAsync(0, data);
        await image.FlushAsync();
        long grown = image.FileLength;

        await image.DiscardAsync(0, 4 << 20);
        await image.FlushAsync();
        await image.WriteAsync(8L << 20, data);
        await image.FlushAsync();

        var back = new byte[4 << 20];
        await image.ReadAsync(0, back);
        back.Should().OnlyContain(b => b == 0);
        image.FileLength.Should().BeLessThanOrEqualTo(grown + (2 * 65536), "the discarded clusters are reused");
        (await image.CheckAsync()).ExitCode.Should().Be(0);
    }

    [Test]
    public async Task Overlay_reads_its_backing_file_and_copies_on_write()
    {
        string basePath = PathOf("base.qcow2");
        await using (var baseImage = await Qcow2Image.CreateAsync(basePath, new Qcow2CreateOptions { Size = 8L << 20 }))
        {
            await baseImage.WriteAsync(0, Enumerable.Repeat((byte)0x11, 1 << 20).ToArray());
        }

        await using var overlay = await Qcow2Image.CreateAsync(PathOf("top.qcow2"), new Qcow2CreateOptions { BackingFile = "base.qcow2", BackingFormat = Qcow2BackingFormat.Qcow2 });
        await overlay.WriteAsync(4096, new byte[] { 0x22, 0x22 });
        await overlay.WriteZeroesAsync(65536, 65536);

        var back = new byte[3 * 65536];
        await overlay.ReadAsync(0, back);

        overlay.Length.Should().Be(8L << 20);
        back.AsSpan(0, 4096).ToArray().Should().OnlyContain(b => b == 0x11);
        back.AsSpan(4096, 2).ToArray().Should().OnlyContain(b => b == 0x22);
        back.AsSpan(4098, 65536 - 4098).ToArray().Should().OnlyContain(b => b == 0x11);
        back.AsSpan(65536, 65536).ToArray().Should().OnlyContain(b => b == 0);
        back.AsSpan(131072).ToArray().Should().OnlyContain(b => b == 0x11);
        (await overlay.CheckAsync()).ExitCode.Should().Be(0);
    }

    [Test]
    public async Task Concurrent_writers_to_the_same_unallocated_cluster_all_land()
    {
        await using var image = await Qcow2Image.CreateAsync(PathOf("c.qcow2"), new Qcow2CreateOptions { Size = 16L << 20 });

        await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(async () => await image.WriteAsync(i * 4096L, Enumerable.Repeat((byte)(i + 1), 4096).ToArray()))));

        var back = new byte[65536];
        await image.ReadAsync(0, back);
        for (int i = 0; i < 16; i++)
        {
            back.AsSpan(i * 4096, 4096).ToArray().Should().OnlyContain(b => b == i + 1);
        }

        (await image.CheckAsync()).ExitCode.Should().Be(0);
    }

    [Test]
    public async Task Enum_options_set_the_header_and_undefined_values_are_refused()
    {
        await using (var zstd = await Qcow2Image.CreateAsync(PathOf("zstd.qcow2"), new Qcow2CreateOptions { Size = 1 << 20, CompressionType = Qcow2CompressionType.Zstd }))
        {
            zstd.CompressionType.Should().Be(Qcow2CompressionType.Zstd);
        }

        var badCompression = () => Qcow2Image.CreateAsync(PathOf("bad1.qcow2"), new Qcow2CreateOptions { Size = 1 << 20, CompressionType = (Qcow2CompressionType)7 });
        var badPreallocation = () => Qcow2Image.CreateAsync(PathOf("bad2.qcow2"), new Qcow2CreateOptions { Size = 1 << 20, Preallocation = (Qcow2Preallocation)9 });

        await badCompression.Should().ThrowAsync<ArgumentException>().WithMessage("Unknown compression type 7*");
        await badPreallocation.Should().ThrowAsync<ArgumentException>().WithMessage("Unknown preallocation mode 9*");
        File.Exists(PathOf("bad1.qcow2")).Should().BeFalse();
        File.Exists(PathOf("bad2.qcow2")).Should().BeFalse();
    }

    [Test]
    public async Task Not_a_qcow2_file_is_refused_with_a_clear_message()
    {
        string path = PathOf("raw.img");
        await File.WriteAllBytesAsync(path, new byte[65536]);

        var open = async () => await Qcow2Image.OpenAsync(path);

        await open.Should().ThrowAsync<Qcow2FormatException>().WithMessage("*not in qcow2 format*");
    }

    [Test]
    public async Task Lazy_refcounts_mark_the_image_dirty_while_metadata_is_written_and_clean_on_close()
    {
        string path = PathOf("lazy.qcow2");
        await using (var image = await Qcow2Image.CreateAsync(path, new Qcow2CreateOptions { Size = 16L << 20, LazyRefcounts = true }))
        {
            image.IsDirty.Should().BeFalse();
            await image.WriteAsync(0, new byte[] { 1 });
            await image.FlushAsync();
            image.IsDirty.Should().BeTrue();
            (await ReadIncompatibleBitsAsync(path) & 1).Should().Be(1, "the dirty bit is on disk before the metadata");
        }

        (await ReadIncompatibleBitsAsync(path) & 1).Should().Be(0);
        await using var reopened = await Qcow2Image.OpenAsync(path);
        (await reopened.CheckAsync()).ExitCode.Should().Be(0);
    }

    [Test]
    public async Task Images_without_lazy_refcounts_are_never_marked_dirty()
    {
        string path = PathOf("strict.qcow2");
        await using var image = await Qcow2Image.CreateAsync(path, new Qcow2CreateOptions { Size = 16L << 20 });

        await image.WriteAsync(0, new byte[] { 1 });
        await image.FlushAsync();

        image.IsDirty.Should().BeFalse();
        (await ReadIncompatibleBitsAsync(path) & 1).Should().Be(0);
    }

    [Test]
    public async Task A_tiny_metadata_cache_evicts_tables_in_order_and_loses_nothing()
    {
        string path = PathOf("tiny.qcow2");
        await using (await Qcow2Image.CreateAsync(path, new Qcow2CreateOptions { Size = 64L << 20, ClusterSize = 4096 }))
        {
        }

        var model = new byte[64L << 20];
        var random = new Random(77);
        await using (var image = await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { MetadataCacheBytes = 4096 }))
        {
            for (int batch = 0; batch < 100; batch++)
            {
                var writes = new List<Task>();
                for (int i = 0; i < 8; i++)
                {
                    // Disjoint slots so concurrent writes never overlap.
                    long offset = ((batch * 8L) + i) * 8192 % (60L << 20) + random.Next(0, 4096);
                    var data = new byte[random.Next(1, 4097)];
                    random.NextBytes(data);
                    data.CopyTo(model, offset);
                    writes.Add(image.WriteAsync(offset, data).AsTask());
                }

                await Task.WhenAll(writes);
                long far = random.NextInt64(0, (64L << 20) - 65536) / 4096 * 4096;
                var chunk = new byte[4096];
                random.NextBytes(chunk);
                chunk.CopyTo(model, far);
                await image.WriteAsync(far, chunk);
            }
        }

        await using var reopened = await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { MetadataCacheBytes = 4096 });
        var back = new byte[model.Length];
        await reopened.ReadAsync(0, back);
        back.AsSpan().SequenceEqual(model).Should().BeTrue();
        (await reopened.CheckAsync()).ExitCode.Should().Be(0);
    }

    private static async Task<ulong> ReadIncompatibleBitsAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var header = new byte[80];
        await stream.ReadExactlyAsync(header);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(72));
    }
}
