using Targetd.Qcow2;
using Targetd.Qcow2.Cli;

namespace Targetd.Tests.Qcow2;

public sealed class ImageToolTests
{
    private DirectoryInfo _directory = null!;

    [SetUp]
    public void SetUp() => _directory = Directory.CreateTempSubdirectory("targetd-image-tool-");

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await ImageTool.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Test]
    public async Task Create_with_options_makes_the_image_info_describes()
    {
        var create = await RunAsync("create", "-q", "-o", "compat=1.1,cluster_size=16K,refcount_bits=4,extended_l2=on,lazy_refcounts=on,compression_type=zstd", PathOf("a.qcow2"), "1G");
        var info = await RunAsync("info", "--output=json", PathOf("a.qcow2"));

        create.Code.Should().Be(0, create.Error);
        info.Code.Should().Be(0);
        info.Output.Should().Contain("\"virtual-size\": 1073741824").And.Contain("\"cluster-size\": 16384")
            .And.Contain("\"refcount-bits\": 4").And.Contain("\"extended-l2\": true").And.Contain("\"lazy-refcounts\": true")
            .And.Contain("\"compression-type\": \"zstd\"");
    }

    [TestCase("cluster_size=3000", "*power of two*")]
    [TestCase("refcount_bits=3", "*power of two*")]
    [TestCase("compat=0.10,extended_l2=on", "*Version 2*")]
    [TestCase("extended_l2=on,cluster_size=4K", "*16384*")]
    [TestCase("bogus=1", "*Invalid parameter 'bogus'*")]
    [TestCase("preallocation=full", "*Unsupported preallocation mode 'full' (use off or metadata)*")]
    [TestCase("preallocation=bogus", "*Parameter 'preallocation' does not accept value 'bogus' (expecting off or metadata)*")]
    [TestCase("compression_type=lz4", "*Parameter 'compression_type' does not accept value 'lz4' (expecting zlib or zstd)*")]
    [TestCase("backing_file=base.qcow2,backing_fmt=vmdk", "*Unsupported backing file format 'vmdk' (expecting qcow2 or raw)*")]
    public async Task Bad_create_options_fail_with_status_1_and_create_nothing(string options, string message)
    {
        var result = await RunAsync("create", "-o", options, PathOf("bad.qcow2"), "64M");

        result.Code.Should().Be(1);
        result.Error.Should().Match("qemu-img: " + message);
        File.Exists(PathOf("bad.qcow2")).Should().BeFalse();
    }

    [Test]
    public async Task Check_reports_leaks_with_status_3_and_repairs_them()
    {
        string path = PathOf("leaky.qcow2");
        await using (var image = await Qcow2Image.CreateAsync(path, new Qcow2CreateOptions { Size = 16L << 20 }))
        {
            // A cluster counted but referenced by nothing: a leak.
            await image.Refcounts.SetAsync(100, 1, CancellationToken.None);
        }

        var before = await RunAsync("check", path);
        var repair = await RunAsync("check", "-r", "leaks", "--output=json", path);
        var after = await RunAsync("check", path);

        before.Code.Should().Be(3);
        before.Output.Should().Contain("1 leaked clusters were found");
        repair.Code.Should().Be(0);
        repair.Output.Should().Contain("\"leaks-fixed\": 1");
        after.Code.Should().Be(0);
        after.Output.Should().Contain("No errors were found");
    }

    [Test]
    public async Task Convert_raw_to_qcow2_and_back_preserves_the_content()
    {
        var content = new byte[3 << 20];
        new Random(5).NextBytes(content.AsSpan(1 << 20, 1 << 20));
        await File.WriteAllBytesAsync(PathOf("src.raw"), content);

        var toQcow2 = await RunAsync("convert", "-O", "qcow2", "-o", "cluster_size=4K", PathOf("src.raw"), PathOf("mid.qcow2"));
        var toRaw = await RunAsync("convert", "-O", "raw", PathOf("mid.qcow2"), PathOf("back.raw"));

        toQcow2.Code.Should().Be(0, toQcow2.Error);
        toRaw.Code.Should().Be(0, toRaw.Error);
        (await File.ReadAllBytesAsync(PathOf("back.raw"))).Should().Equal(content);
        await using var mid = await Qcow2Image.OpenAsync(PathOf("mid.qcow2"), new Qcow2OpenOptions { ReadOnly = true });
        (await mid.GetAllocatedExtentsAsync(0, mid.Length)).Should().Equal(new Targetd.Core.BlockDevices.BlockExtent(1 << 20, 1 << 20));
    }

    [Test]
    public async Task Bench_runs_the_requested_requests_and_reports_like_qemu_img()
    {
        await RunAsync("create", "-q", PathOf("b.qcow2"), "8M");

        var result = await RunAsync("bench", "-w", "-c", "500", "-d", "8", "-s", "4K", "-S", "64K", "--pattern=7", PathOf("b.qcow2"));

        result.Code.Should().Be(0, result.Error);
        result.Output.Should().Contain("Sending 500 write requests, 4096 bytes each, 8 in parallel (starting at offset 0, step size 65536)");
        result.Output.Should().MatchRegex(@"Run completed in \d+\.\d{3} seconds\.");
        await using var image = await Qcow2Image.OpenAsync(PathOf("b.qcow2"), new Qcow2OpenOptions { ReadOnly = true });
        var first = new byte[4096];
        await image.ReadAsync(65536 * 3, first);
        first.Should().OnlyContain(b => b == 7);
    }

    [Test]
    public async Task Bench_flushes_every_interval_and_refuses_cache_modes_it_cannot_honour()
    {
        await RunAsync("create", "-q", PathOf("f.qcow2"), "8M");

        var flushed = await RunAsync("bench", "-w", "-c", "300", "-d", "4", "--flush-interval=64", PathOf("f.qcow2"));
        var direct = await RunAsync("bench", "-t", "none", "-c", "10", PathOf("f.qcow2"));
        var readFlush = await RunAsync("bench", "--flush-interval=8", "-c", "10", PathOf("f.qcow2"));

        flushed.Code.Should().Be(0, flushed.Error);
        direct.Code.Should().Be(1);
        direct.Error.Should().Contain("Cache mode 'none' is not supported");
        readFlush.Code.Should().Be(1);
    }

    [Test]
    public async Task Unknown_command_and_missing_file_fail_with_status_1()
    {
        (await RunAsync("frobnicate")).Code.Should().Be(1);
        var missing = await RunAsync("info", PathOf("nope.qcow2"));
        missing.Code.Should().Be(1);
        missing.Error.Should().StartWith("qemu-img: ");
    }
}
