using System.Globalization;
using Microsoft.Extensions.Logging;
using Targetd.Qcow2;
using Targetd.Storage.Pools;
using Targetd.Storage.Pools.Images;
using Targetd.Storage.Pools.Lvm;
using Targetd.Tests.Storage.Lvm;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage;

/// <summary>vol_copy logs its progress at Information, rising to 100 %.</summary>
public sealed class VolumeCopyProgressTests
{
    private DirectoryInfo _folder = null!;

    [SetUp]
    public void SetUp() => _folder = Directory.CreateTempSubdirectory("targetd-copy-progress-");

    [TearDown]
    public void TearDown() => _folder.Delete(recursive: true);

    /// <summary>The percentages of the progress lines, after checking their level, text and fields.</summary>
    private static List<double> Percentages(CollectingLogger logger, string pool, string source, string destination)
    {
        var lines = logger.Entries.Where(e => e.Message.StartsWith("vol_copy ", StringComparison.Ordinal)).ToList();
        lines.Should().AllSatisfy(e =>
        {
            e.Level.Should().Be(LogLevel.Information);
            e.Message.Should().MatchRegex($"^vol_copy {pool}/{source} to {destination}: [0-9]+\\.[0-9] % copied$");
            e.Fields["Pool"].Should().Be(pool);
            e.Fields["Source"].Should().Be(source);
            e.Fields["Destination"].Should().Be(destination);
        });
        return [.. lines.Select(e => double.Parse(e.Fields["Percent"]!, CultureInfo.InvariantCulture))];
    }

    private static void ShouldRiseByTenthsTo100(List<double> percentages)
    {
        percentages.Should().NotBeEmpty();
        percentages[^1].Should().Be(100);
        percentages.Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        percentages.Zip(percentages.Skip(1)).Should().AllSatisfy(p => Math.Floor(p.Second / 10).Should().BeGreaterThan(Math.Floor(p.First / 10), "a line for each tenth passed"));
    }

    [Test]
    public async Task An_image_pool_copy_of_a_multi_megabyte_volume_logs_each_tenth_up_to_100()
    {
        var logger = new CollectingLogger();
        using var pool = new ImageDirectoryPool("images", _folder.FullName, logger, TimeProvider.System, reflink: false);
        await pool.CreateAsync("src", 32L << 20);
        await using (var image = await Qcow2Image.OpenAsync(Path.Combine(_folder.FullName, "src.qcow2")))
        {
            var data = new byte[12 << 20];
            new Random(7).NextBytes(data);
            await image.WriteAsync(0, data.AsMemory(0, 7 << 20));
            await image.WriteAsync(20L << 20, data.AsMemory(7 << 20));
        }

        await pool.CopyAsync("src", "dst", null);

        var percentages = Percentages(logger, "images", "src", "dst");
        ShouldRiseByTenthsTo100(percentages);
        percentages.Count.Should().BeInRange(8, 10, "12 chunks of 1 MiB pass most tenths");
    }

    [Test]
    public async Task A_block_copy_on_a_plain_volume_group_logs_its_progress_up_to_100()
    {
        var logger = new CollectingLogger();
        var devices = new FakeDeviceNodes();
        var pool = new LvmBlockPool("vg0", LvmOutputs.Runner(), devices.Open, logger);
        devices.Add("/dev/vg0/lv1", 5 * BlockDeviceCopy.ChunkSize);
        devices.Add("/dev/vg0/copy", 5 * BlockDeviceCopy.ChunkSize);

        await pool.CopyAsync("lv1", "copy", null);

        Percentages(logger, "vg0", "lv1", "copy").Should().Equal(20, 40, 60, 80, 100);
    }

    [Test]
    public void A_slow_copy_logs_at_least_every_interval_and_never_goes_back()
    {
        var logger = new CollectingLogger();
        var clock = new ManualClock();
        var progress = new VolumeCopyProgress(logger, "images", "a", "b", clock);

        progress.Report(1);
        progress.Report(2);
        clock.Advance(VolumeCopyProgress.Interval);
        progress.Report(3);
        progress.Report(2.5);
        progress.Report(11);
        progress.Report(12);
        progress.Report(100);
        progress.Report(100);

        Percentages(logger, "images", "a", "b").Should().Equal(3, 11, 100);
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
