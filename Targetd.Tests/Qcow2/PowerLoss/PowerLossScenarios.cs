using Targetd.Qcow2;

namespace Targetd.Tests.Qcow2.PowerLoss;

/// <summary>The workloads power cuts are simulated in: each touches a different part of the qcow2 write path.</summary>
internal static class PowerLossScenarios
{
    private const long Disk = 2L << 20;
    private const long DefaultCache = Qcow2OpenOptions.DefaultMetadataCacheBytes;

    public static IEnumerable<PowerLossScenario> All()
    {
        var small = new Qcow2CreateOptions { Size = Disk, ClusterSize = 4096 };
        yield return new("cluster_allocation", small, false, DefaultCache, w => WritesAsync(w, 48, 16, 6));
        yield return new("cow_over_backing", small, true, DefaultCache, w => WritesAsync(w, 48, 12, 6));
        yield return new("discard", small, true, DefaultCache, DiscardsAsync);
        yield return new("internal_snapshots", small, false, DefaultCache, SnapshotsAsync);
        yield return new("refcount_table_growth", new Qcow2CreateOptions { Size = 3L << 20, ClusterSize = 512, RefcountBits = 64 }, false, DefaultCache, GrowRefcountTableAsync);
        yield return new("lazy_refcounts", small with { LazyRefcounts = true }, true, DefaultCache, DiscardsAsync);
        var evicting = new Qcow2CreateOptions { Size = 1L << 20, ClusterSize = 512 };
        yield return new("l2_evictions", evicting, true, 0, w => WritesAsync(w, 40, 4, 10));
        for (int failing = 0; failing <= 2; failing++)
        {
            int fsync = failing;
            yield return new($"failed_fsync_{fsync}_lazy", evicting with { LazyRefcounts = true }, true, 0, w => FailedFlushAsync(w, fsync));
            yield return new($"failed_fsync_{fsync}", evicting, true, 0, w => FailedFlushAsync(w, fsync));
        }
    }

    private static async Task WritesAsync(PowerLossWorkload workload, int writes, int maxSectors, int flushEvery)
    {
        for (int i = 1; i <= writes; i++)
        {
            await workload.WriteRandomAsync(maxSectors);
            if (i % flushEvery == 0)
            {
                await workload.FlushAsync();
            }
        }
    }

    private static async Task DiscardsAsync(PowerLossWorkload workload)
    {
        for (int i = 1; i <= 48; i++)
        {
            if (workload.Random.Next(3) == 0)
            {
                // Whole clusters (8 sectors of 4 KiB) are deallocated; a part of one is left as it is or zeroed.
                int count = workload.Random.Next(1, 4) * 8;
                long at = workload.Random.Next(2) == 0 ? workload.Random.NextInt64((workload.Sectors - count) / 8) * 8 : workload.Random.NextInt64(workload.Sectors - count);
                await workload.DiscardAsync(at, count);
            }
            else
            {
                await workload.WriteRandomAsync(24);
            }

            if (i % 6 == 0)
            {
                await workload.FlushAsync();
            }
        }
    }

    private static async Task SnapshotsAsync(PowerLossWorkload workload)
    {
        await WritesAsync(workload, 12, 16, 6);
        await workload.Image.CreateSnapshotAsync("a");
        await WritesAsync(workload, 12, 16, 6);
        await workload.Image.CreateSnapshotAsync("b");
        await WritesAsync(workload, 8, 16, 4);
        await workload.Image.DeleteSnapshotAsync("a");
        await WritesAsync(workload, 8, 16, 4);
        await workload.Image.DeleteSnapshotAsync("b");
        await WritesAsync(workload, 8, 16, 4);
    }

    /// <summary>
    /// With 512-byte clusters and 64-bit refcounts, the first refcount table covers 2 MiB of the file: writing
    /// 2.25 MiB of data outgrows it.
    /// </summary>
    private static async Task GrowRefcountTableAsync(PowerLossWorkload workload)
    {
        const int chunk = 128;
        for (int i = 0; i < 36; i++)
        {
            await workload.WriteAsync(i * chunk, chunk);
            if (i % 6 == 5)
            {
                await workload.FlushAsync();
            }
        }
    }

    /// <summary>
    /// Writes all over the disk, whose L2 tables a small cache evicts (writing them back after the data and the
    /// refcounts they need), until the <paramref name="failing"/>-th fsync after a flush fails; then only reads,
    /// which evict the rest without a new allocation in between, and a last flush.
    /// </summary>
    private static async Task FailedFlushAsync(PowerLossWorkload workload, int failing)
    {
        await WritesAsync(workload, 16, 4, 8);
        workload.Log.FailingFlush = workload.Log.FlushesStarted + failing;
        for (int i = 0; i < 200 && workload.Log.FailedFlushes == 0; i++)
        {
            try
            {
                await workload.WriteRandomAsync(4);
            }
            catch (IOException)
            {
                // As a guest is told its write failed; it may go on.
            }
        }

        var buffer = new byte[4096];
        for (long at = 0; at < workload.Image.Length; at += buffer.Length)
        {
            await workload.Image.ReadAsync(at, buffer);
        }

        await workload.FlushAsync();
        workload.Log.FailedFlushes.Should().Be(1, "the injected fsync failure happened");
    }
}
