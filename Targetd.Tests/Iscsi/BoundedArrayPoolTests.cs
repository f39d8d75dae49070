using System.Collections.Concurrent;
using Targetd.Iscsi.Server;

namespace Targetd.Tests.Iscsi;

/// <summary>
/// The pool of the buffers up to 1 MiB: power-of-two sizes, reuse of what was given back, a bound on what each size
/// keeps, and dropping the large ones at once.
/// </summary>
public sealed class BoundedArrayPoolTests
{
    private const int MiB = 1024 * 1024;

    [Test]
    public void Requests_get_the_next_power_of_two_and_what_was_given_back_is_handed_out_again()
    {
        var pool = new BoundedArrayPool();

        pool.Rent(0).Should().BeEmpty();
        pool.Rent(1).Should().HaveCount(BoundedArrayPool.MinimumSize);
        pool.Rent(52).Should().HaveCount(64, "a PDU header and its digest");
        pool.Rent(65).Should().HaveCount(128);
        pool.Rent(4096).Should().HaveCount(4096);
        pool.Rent(MiB).Should().HaveCount(MiB);
        FluentActions.Invoking(() => pool.Rent(MiB + 1)).Should().Throw<ArgumentOutOfRangeException>();

        var header = pool.Rent(52);
        var data = pool.Rent(200_000);
        pool.Return(header).Should().BeTrue();
        pool.Return(data).Should().BeTrue();
        pool.Rent(48).Should().BeSameAs(header);
        pool.Rent(262_144).Should().BeSameAs(data);
        pool.RetainedBytes().Should().Be(0);
    }

    [Test]
    public void A_size_keeps_no_more_than_its_bound_of_bytes_or_arrays_and_the_rest_is_left_to_the_collector()
    {
        var pool = new BoundedArrayPool(bucketBytes: 4 * MiB, bucketArrays: 8);
        pool.CapacityOf(MiB).Should().Be(4, "4 MiB of 1 MiB arrays");
        pool.CapacityOf(4096).Should().Be(8, "no more than 8 arrays of any size");

        var large = Enumerable.Range(0, 10).Select(_ => pool.Rent(MiB)).ToList();
        var small = Enumerable.Range(0, 10).Select(_ => pool.Rent(4096)).ToList();
        large.Select(pool.Return).Should().Equal(true, true, true, true, false, false, false, false, false, false);
        small.Select(pool.Return).Count(kept => kept).Should().Be(8);
        pool.RetainedBytes().Should().Be((4L * MiB) + (8 * 4096));

        var again = Enumerable.Range(0, 10).Select(_ => pool.Rent(MiB)).ToList();
        again.Count(a => large.Contains(a)).Should().Be(4, "only what the pool kept comes back");
        pool.RetainedBytes(MiB).Should().Be(0);
    }

    [Test]
    public void The_default_bounds_keep_at_most_56_MiB_of_large_arrays_and_8_MiB_of_small_ones()
    {
        var pool = new BoundedArrayPool();
        var sizes = Enumerable.Range(0, 15).Select(i => BoundedArrayPool.MinimumSize << i).ToList();
        sizes.Should().EndWith(BoundedArrayPool.MaximumSize);
        foreach (int size in sizes)
        {
            var arrays = Enumerable.Range(0, pool.CapacityOf(size) + 2).Select(_ => pool.Rent(size)).ToList();
            arrays.ForEach(a => pool.Return(a));
        }

        pool.CapacityOf(MiB).Should().Be(16);
        pool.CapacityOf(64).Should().Be(BoundedArrayPool.DefaultBucketArrays);
        pool.RetainedBytes(IoBufferPool.SmallLimit + 1).Should().Be(56L * MiB);
        (pool.RetainedBytes() - pool.RetainedBytes(IoBufferPool.SmallLimit + 1)).Should().BeLessThan(8L * MiB);
    }

    [Test]
    public void Trimming_drops_the_arrays_of_the_sizes_asked_for_only()
    {
        var pool = new BoundedArrayPool();
        foreach (int size in new[] { 64, 4096, 65536, 131072, MiB })
        {
            var arrays = Enumerable.Range(0, 3).Select(_ => pool.Rent(size)).ToList();
            arrays.ForEach(a => pool.Return(a));
        }

        pool.Trim(IoBufferPool.SmallLimit + 1).Should().Be(3L * (131072 + MiB));
        pool.RetainedBytes(IoBufferPool.SmallLimit + 1).Should().Be(0);
        pool.RetainedBytes().Should().Be(3L * (64 + 4096 + 65536), "small arrays stay pooled");
        pool.Trim(0).Should().Be(3L * (64 + 4096 + 65536));
        pool.RetainedBytes().Should().Be(0);
    }

    [Test]
    public void An_array_of_none_of_its_sizes_is_not_taken_back()
    {
        var pool = new BoundedArrayPool();
        FluentActions.Invoking(() => pool.Return(new byte[100])).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => pool.Return(new byte[32])).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => pool.Return(new byte[2 * MiB])).Should().Throw<ArgumentException>();
        pool.Return([]).Should().BeTrue();
        pool.RetainedBytes().Should().Be(0);
    }

    [Test]
    public async Task Threads_renting_and_giving_back_at_once_never_get_the_same_array_and_the_bound_holds()
    {
        var pool = new BoundedArrayPool(bucketBytes: 64 * 1024, bucketArrays: 4);
        var outstanding = new ConcurrentDictionary<byte[], bool>(ReferenceEqualityComparer.Instance);
        int shared = 0;

        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var random = new Random(w);
            var held = new List<byte[]>();
            for (int i = 0; i < 20_000; i++)
            {
                if (held.Count < 8 && (held.Count == 0 || random.Next(2) == 0))
                {
                    var array = pool.Rent(random.Next(2) == 0 ? 4096 : 16384);
                    if (!outstanding.TryAdd(array, true))
                    {
                        Interlocked.Increment(ref shared);
                    }

                    held.Add(array);
                }
                else
                {
                    var array = held[^1];
                    held.RemoveAt(held.Count - 1);
                    outstanding.TryRemove(array, out _);
                    pool.Return(array);
                }
            }

            foreach (var array in held)
            {
                outstanding.TryRemove(array, out _);
                pool.Return(array);
            }
        })).ToList();
        await Task.WhenAll(workers);

        shared.Should().Be(0, "an array is handed out again only once it was given back");
        pool.RetainedBytes().Should().Be((4 * 4096) + (4 * 16384), "every bucket filled up to its bound, and no further");
    }
}
