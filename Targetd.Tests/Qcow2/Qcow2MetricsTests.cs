using Targetd.Qcow2;
using Targetd.Tests.Support;

namespace Targetd.Tests.Qcow2;

/// <summary>What the qcow2 meter's instruments count.</summary>
public sealed class Qcow2MetricsTests
{
    private DirectoryInfo _directory = null!;

    [SetUp]
    public void SetUp() => _directory = Directory.CreateTempSubdirectory("targetd-qcow2-metrics-");

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    [Test]
    public async Task Host_clusters_is_the_files_extent_in_clusters_not_the_allocated_guest_clusters()
    {
        string path = Path.Combine(_directory.FullName, "metered.qcow2");
        using var measurements = new RecordedMeasurements(Qcow2Metrics.MeterName);
        await using var image = await Qcow2Image.CreateAsync(path, new Qcow2CreateOptions { Size = 64L << 20 });
        await image.WriteAsync(0, new byte[4 << 16]);
        await image.CreateSnapshotAsync("kept");
        await image.WriteAsync(0, new byte[2 << 16]);
        await image.FlushAsync();

        var check = await image.CheckAsync();
        double hostClusters = measurements.Of("host_clusters", ("image", image.Path))[^1];

        check.AllocatedClusters.Should().Be(4, "the active layer maps four guest clusters");
        hostClusters.Should().Be((new FileInfo(path).Length + 65535) / 65536, "the gauge is the file's extent");
        hostClusters.Should().BeGreaterThan(check.AllocatedClusters + 2, "it counts metadata and the snapshot's two old clusters too");
    }
}
