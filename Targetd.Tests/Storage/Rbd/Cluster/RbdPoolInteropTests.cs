using Targetd.Core.BlockDevices;
using Targetd.Storage.Errors;
using Targetd.Storage.Pools.Rbd;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage.Rbd.Cluster;

/// <summary>Every volume method and the block device against a real one-node Ceph cluster, checked with the rbd tool.</summary>
[Category("Interop")]
[NonParallelizable]
public sealed class RbdPoolInteropTests
{
    private RbdBlockPool _pool = null!;

    private static CephCluster Cluster => CephClusterSetUp.Cluster;

    [SetUp]
    public void SetUp() => _pool = new RbdBlockPool("ceph", new RbdPoolOptions(CephCluster.Pool, Cluster.ConfPath, "admin"));

    [TearDown]
    public void TearDown() => _pool.Dispose();

    [Test]
    [CancelAfter(120_000)]
    public async Task Volume_methods_agree_with_the_rbd_tool()
    {
        (await _pool.ConnectAsync()).Should().BeTrue();
        var info = await _pool.GetInfoAsync();
        info.Size.Should().BeGreaterThan(1L << 30);
        info.FreeSize.Should().BeInRange(1, info.Size);

        await _pool.CreateAsync("vol-a", 32L << 20);
        var listed = (await _pool.ListAsync()).Single(v => v.Name == "vol-a");
        var (size, id) = await Cluster.InfoAsync("vol-a");
        listed.Size.Should().Be(32L << 20).And.Be(size);
        listed.Uuid.Should().Be(id);

        var taken = () => _pool.CreateAsync("vol-a", 1 << 20);
        (await taken.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.VolumeExists);

        await _pool.ResizeAsync("vol-a", 48L << 20);
        (await Cluster.InfoAsync("vol-a")).Size.Should().Be(48L << 20);
        (await _pool.ListAsync()).Single(v => v.Name == "vol-a").Uuid.Should().Be(id, "the uuid is the image id, stable across resizes");

        await _pool.DestroyAsync("vol-a");
        (await Cluster.RbdAsync("ls")).Split('\n').Should().NotContain("vol-a");
        var missing = () => _pool.DestroyAsync("vol-a");
        (await missing.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.VolumeNotFound);
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task Copy_is_a_flattened_clone_with_the_data_and_leaves_the_source_without_snapshots()
    {
        await _pool.CreateAsync("copy-src", 16L << 20);
        var data = Pattern(3 << 20, seed: 11);
        await using (var source = await _pool.OpenAsync("copy-src"))
        {
            await source.WriteAsync(1L << 20, data);
            await source.FlushAsync();
        }

        await _pool.CopyAsync("copy-src", "copy-dst", 24L << 20);

        (await Cluster.InfoAsync("copy-dst")).Size.Should().Be(24L << 20);
        (await Cluster.RbdAsync("snap", "ls", "copy-src")).Trim().Should().BeEmpty();
        (await Cluster.RbdAsync("info", "copy-dst")).Should().NotContain("parent:", "the clone is flattened");
        await using (var copy = await _pool.OpenAsync("copy-dst"))
        {
            var back = new byte[data.Length];
            await copy.ReadAsync(1L << 20, back);
            back.Should().Equal(data);
        }

        (await _pool.ListAsync()).Single(v => v.Name == "copy-dst").Uuid.Should().NotBe((await _pool.ListAsync()).Single(v => v.Name == "copy-src").Uuid);
        await _pool.DestroyAsync("copy-src");
        await _pool.DestroyAsync("copy-dst");
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task The_device_serves_concurrent_io_discards_and_reports_allocation_from_rbd()
    {
        await _pool.CreateAsync("dev", 64L << 20);
        await using (var device = await _pool.OpenAsync("dev"))
        {
            (await device.GetAllocatedExtentsAsync(0, device.Length)).Should().BeEmpty();
            await Task.WhenAll(Enumerable.Range(0, 64).Select(i => device.WriteAsync(i * (512L << 10), Pattern(64 << 10, seed: i)).AsTask()));
            await device.FlushAsync();
            var reads = await Task.WhenAll(Enumerable.Range(0, 64).Select(async i =>
            {
                var back = new byte[64 << 10];
                await device.ReadAsync(i * (512L << 10), back);
                return back;
            }));
            for (int i = 0; i < 64; i++)
            {
                reads[i].Should().Equal(Pattern(64 << 10, seed: i), $"write {i} landed");
            }

            var allocated = await device.GetAllocatedExtentsAsync(0, device.Length);
            allocated.Should().NotBeEmpty();
            allocated.Sum(e => e.Length).Should().BeLessThan(device.Length, "unwritten objects are not allocated");
            allocated.Should().Contain(e => e.Offset <= 0 && e.End >= 64 << 10);

            await device.DiscardAsync(0, 16L << 20);
            await device.WriteZeroesAsync(16L << 20, 4L << 20);
            var zeroes = new byte[64 << 10];
            await device.ReadAsync(17L << 20, zeroes);
            zeroes.Should().OnlyContain(b => b == 0);
            var after = await device.GetAllocatedExtentsAsync(0, 16L << 20);
            after.Should().BeEmpty("discarding whole objects removes them");
        }

        var exported = Path.Combine(Path.GetTempPath(), $"targetd-rbd-{Guid.NewGuid():N}.raw");
        try
        {
            await Cluster.RbdAsync("export", "dev", exported);
            var bytes = await File.ReadAllBytesAsync(exported);
            bytes.AsSpan(50 * (512 << 10), 64 << 10).ToArray().Should().Equal(Pattern(64 << 10, seed: 50));
            bytes.AsSpan(0, 20 << 20).ToArray().Should().OnlyContain(b => b == 0, "discarded and zeroed ranges read as zeroes");
        }
        finally
        {
            File.Delete(exported);
        }

        await _pool.DestroyAsync("dev");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task An_unreachable_cluster_or_missing_conf_leaves_only_that_pool_unavailable()
    {
        string folder = Directory.CreateTempSubdirectory("targetd-ceph-bad-").FullName;
        try
        {
            string conf = Path.Combine(folder, "ceph.conf");
            string original = await File.ReadAllTextAsync(Cluster.ConfPath);
            await File.WriteAllTextAsync(conf, original.Replace($"127.0.0.1:{Cluster.MonitorPort}", $"127.0.0.1:{Qcow2TargetDaemon.FreePort()}", StringComparison.Ordinal));
            using var unreachable = new RbdBlockPool("dead", new RbdPoolOptions(CephCluster.Pool, conf, "admin"));
            using var noConf = new RbdBlockPool("noconf", new RbdPoolOptions(CephCluster.Pool, Path.Combine(folder, "missing.conf"), "admin"));

            var started = DateTime.UtcNow;
            (await unreachable.ConnectAsync()).Should().BeFalse();
            (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(60), "connecting is bounded by client_mount_timeout");
            (await noConf.ConnectAsync()).Should().BeFalse();
            var list = () => unreachable.ListAsync();
            var create = () => noConf.CreateAsync("x", 4096);

            (await list.Should().ThrowAsync<StorageException>()).Which.Message.Should().StartWith("RBD pool 'dead' is unavailable:");
            (await create.Should().ThrowAsync<StorageException>()).Which.Message.Should().Contain("missing.conf");
            (await _pool.ConnectAsync()).Should().BeTrue("the healthy pool is not affected");
            (await _pool.GetInfoAsync()).Size.Should().BeGreaterThan(0);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    internal static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
