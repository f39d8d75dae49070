using Targetd.Core.BlockDevices;
using Targetd.Storage.Pools.Rbd;
using Targetd.Tests.Storage.Rbd;

namespace Targetd.Tests.Core;

/// <summary>The <see cref="IBlockDevice"/> contract, run against every implementation in Targetd.Core.</summary>
[TestFixture("memory")]
[TestFixture("file")]
[TestFixture("file-on-thread-pool")]
[TestFixture("rbd-fake")]
public sealed class BlockDeviceContractTests(string kind)
{
    private const long DeviceLength = 8L * 1024 * 1024;
    private DirectoryInfo? _directory;
    private IBlockDevice _device = null!;
    private FakeRados _rbd = new();

    [SetUp]
    public void SetUp()
    {
        _directory = Directory.CreateTempSubdirectory("targetd-blockdev-");
        _rbd = new FakeRados();
        _device = Create(DeviceLength);
    }

    [TearDown]
    public async Task TearDown()
    {
        await _device.DisposeAsync();
        _directory?.Delete(recursive: true);
    }

    [Test]
    public async Task New_device_reads_zeroes_and_has_nothing_allocated()
    {
        var buffer = Filled(64 * 1024, 0xEE);
        await _device.ReadAsync(DeviceLength - buffer.Length, buffer);

        buffer.Should().OnlyContain(b => b == 0);
        (await _device.GetAllocatedExtentsAsync(0, DeviceLength)).Should().BeEmpty();
        _device.Length.Should().Be(DeviceLength);
        _device.LogicalBlockSize.Should().Be(512);
        _device.IsThin.Should().BeTrue();
    }

    [Test]
    public async Task Write_then_read_returns_the_data_at_unaligned_offsets()
    {
        var data = Pattern(10_000, seed: 7);
        await _device.WriteAsync(123_457, data);

        var back = new byte[data.Length + 2];
        await _device.ReadAsync(123_456, back);

        back[0].Should().Be(0);
        back[^1].Should().Be(0);
        back.AsSpan(1, data.Length).SequenceEqual(data).Should().BeTrue();
    }

    [Test]
    public async Task Concurrent_writers_to_distinct_ranges_all_land()
    {
        const int writers = 64;
        const int size = 64 * 1024;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(i =>
            Task.Run(async () => await _device.WriteAsync((long)i * size, Pattern(size, seed: i)))));

        for (int i = 0; i < writers; i++)
        {
            var back = new byte[size];
            await _device.ReadAsync((long)i * size, back);
            back.Should().Equal(Pattern(size, seed: i), $"writer {i} wrote that range");
        }
    }

    [Test]
    public async Task Concurrent_writers_to_overlapping_ranges_leave_every_sector_from_one_writer()
    {
        const int writers = 16;
        const int size = 256 * 1024;
        var rounds = Enumerable.Range(1, writers).Select(id =>
            Task.Run(async () =>
            {
                for (int round = 0; round < 8; round++)
                {
                    // Each writer starts at a different sector so the ranges overlap only in part.
                    await _device.WriteAsync(id * 512L, Filled(size, (byte)id));
                }
            }));
        await Task.WhenAll(rounds);

        var back = new byte[size + (writers * 512)];
        await _device.ReadAsync(0, back);
        for (int sector = 0; sector < back.Length / 512; sector++)
        {
            var bytes = back.AsSpan(sector * 512, 512);
            byte first = bytes[0];
            bytes.IndexOfAnyExcept(first).Should().Be(-1, $"sector {sector} must come whole from one writer");
            if (sector == 0)
            {
                first.Should().Be(0, "no writer touched sector 0");
            }
            else
            {
                first.Should().BeInRange(1, writers);
                ((int)first).Should().BeLessThanOrEqualTo(sector, "only writers starting at or before a sector cover it");
            }
        }
    }

    [Test]
    public async Task Reads_running_beside_writers_complete_and_the_last_write_wins()
    {
        const int size = 128 * 1024;
        var writer = Task.Run(async () =>
        {
            for (int i = 1; i <= 40; i++)
            {
                await _device.WriteAsync(0, Filled(size, (byte)i));
            }
        });
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var buffer = new byte[size];
            int reads = 0;
            while (!writer.IsCompleted)
            {
                await _device.ReadAsync(0, buffer);
                buffer.Should().OnlyContain(b => b <= 40);
                reads++;
            }

            return reads;
        }));

        await Task.WhenAll(readers.Cast<Task>().Append(writer));

        var back = new byte[size];
        await _device.ReadAsync(0, back);
        back.Should().OnlyContain(b => b == 40);
    }

    [Test]
    public async Task Read_past_the_end_throws_and_transfers_nothing()
    {
        var buffer = Filled(4096, 0x55);

        var read = async () => await _device.ReadAsync(DeviceLength - 2048, buffer);
        var beyond = async () => await _device.ReadAsync(DeviceLength + 512, new byte[512]);

        await read.Should().ThrowAsync<ArgumentOutOfRangeException>();
        await beyond.Should().ThrowAsync<ArgumentOutOfRangeException>();
        buffer.Should().OnlyContain(b => b == 0x55);
    }

    [Test]
    public async Task Write_past_the_end_throws_and_changes_nothing()
    {
        var write = async () => await _device.WriteAsync(DeviceLength - 512, Filled(1024, 0x77));
        var negative = async () => await _device.WriteAsync(-512, Filled(512, 0x77));
        var discard = async () => await _device.DiscardAsync(DeviceLength - 512, 1024);

        await write.Should().ThrowAsync<ArgumentOutOfRangeException>();
        await negative.Should().ThrowAsync<ArgumentOutOfRangeException>();
        await discard.Should().ThrowAsync<ArgumentOutOfRangeException>();
        var tail = new byte[512];
        await _device.ReadAsync(DeviceLength - 512, tail);
        tail.Should().OnlyContain(b => b == 0);
        (await _device.GetAllocatedExtentsAsync(0, DeviceLength)).Should().BeEmpty();
    }

    [Test]
    public async Task Zero_length_operations_succeed_anywhere_in_range_and_change_nothing()
    {
        await _device.WriteAsync(0, Filled(512, 0x11));

        await _device.ReadAsync(DeviceLength, Memory<byte>.Empty);
        await _device.WriteAsync(DeviceLength, ReadOnlyMemory<byte>.Empty);
        await _device.WriteAsync(0, ReadOnlyMemory<byte>.Empty);
        await _device.DiscardAsync(0, 0);
        await _device.WriteZeroesAsync(DeviceLength, 0);
        var extents = await _device.GetAllocatedExtentsAsync(DeviceLength, 0);

        extents.Should().BeEmpty();
        var back = new byte[512];
        await _device.ReadAsync(0, back);
        back.Should().OnlyContain(b => b == 0x11);
    }

    [Test]
    public async Task Unmap_then_read_returns_zeroes_and_releases_the_storage()
    {
        const int size = 1024 * 1024;
        await _device.WriteAsync(0, Pattern(size, seed: 3));

        await _device.DiscardAsync(0, size);

        var back = Filled(size, 0xEE);
        await _device.ReadAsync(0, back);
        back.Should().OnlyContain(b => b == 0);
        (await _device.GetAllocatedExtentsAsync(0, DeviceLength)).Should().BeEmpty();
    }

    [Test]
    public async Task Unmap_of_part_of_the_data_zeroes_only_that_part()
    {
        await _device.WriteAsync(0, Filled(256 * 1024, 0x42));

        await _device.DiscardAsync(1536, 1024);

        var back = new byte[256 * 1024];
        await _device.ReadAsync(0, back);
        back.AsSpan(0, 1536).ToArray().Should().OnlyContain(b => b == 0x42);
        back.AsSpan(1536, 1024).ToArray().Should().OnlyContain(b => b == 0);
        back.AsSpan(2560).ToArray().Should().OnlyContain(b => b == 0x42);
    }

    [Test]
    public async Task Write_zeroes_makes_the_range_read_as_zeroes()
    {
        await _device.WriteAsync(0, Filled(128 * 1024, 0x33));

        await _device.WriteZeroesAsync(4096, 64 * 1024);

        var back = new byte[128 * 1024];
        await _device.ReadAsync(0, back);
        back.AsSpan(0, 4096).ToArray().Should().OnlyContain(b => b == 0x33);
        back.AsSpan(4096, 64 * 1024).ToArray().Should().OnlyContain(b => b == 0);
        back.AsSpan(4096 + (64 * 1024)).ToArray().Should().OnlyContain(b => b == 0x33);
    }

    [Test]
    public async Task Allocated_extents_cover_what_was_written_and_are_clipped_to_the_query()
    {
        await _device.WriteAsync(2L * 1024 * 1024, Filled(4096, 1));
        await _device.WriteAsync(6L * 1024 * 1024, Filled(4096, 2));

        var all = await _device.GetAllocatedExtentsAsync(0, DeviceLength);
        var clipped = await _device.GetAllocatedExtentsAsync((2L * 1024 * 1024) + 1024, 1024);

        all.Should().HaveCount(2);
        all[0].Offset.Should().BeLessThanOrEqualTo(2L * 1024 * 1024);
        all[0].End.Should().BeGreaterThanOrEqualTo((2L * 1024 * 1024) + 4096).And.BeLessThan(6L * 1024 * 1024);
        all[1].Offset.Should().BeLessThanOrEqualTo(6L * 1024 * 1024);
        all[1].End.Should().BeGreaterThanOrEqualTo((6L * 1024 * 1024) + 4096);
        clipped.Should().Equal(new BlockExtent((2L * 1024 * 1024) + 1024, 1024));
    }

    [Test]
    public async Task Operations_after_dispose_throw()
    {
        await _device.DisposeAsync();

        var read = async () => await _device.ReadAsync(0, new byte[512]);

        await read.Should().ThrowAsync<ObjectDisposedException>();
        _device = Create(DeviceLength, name: "second.img");
    }

    [Test]
    public async Task Read_only_device_refuses_writes_discards_and_zeroing()
    {
        await using var device = Create(DeviceLength, name: "ro.img", readOnly: true);

        var write = async () => await device.WriteAsync(0, new byte[512]);
        var discard = async () => await device.DiscardAsync(0, 512);
        var zero = async () => await device.WriteZeroesAsync(0, 512);

        device.IsReadOnly.Should().BeTrue();
        await write.Should().ThrowAsync<NotSupportedException>();
        await discard.Should().ThrowAsync<NotSupportedException>();
        await zero.Should().ThrowAsync<NotSupportedException>();
    }

    [Test]
    public async Task Cancelled_token_stops_the_operation()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var write = async () => await _device.WriteAsync(0, Filled(512, 9), cancelled.Token);

        await write.Should().ThrowAsync<OperationCanceledException>();
    }

    private IBlockDevice Create(long length, string name = "device.img", bool readOnly = false)
    {
        if (kind == "memory")
        {
            return new MemoryBlockDevice(length, isReadOnly: readOnly);
        }

        if (kind == "rbd-fake")
        {
            // The RBD device over the in-memory fake of librbd: the contract holds for the device's own logic.
            if (!_rbd.Images.TryGetValue(name, out var image))
            {
                image = _rbd.AddImage(name, length);
            }

            return new RbdBlockDevice(new FakeImageHandle(_rbd, image), length, readOnly);
        }

        string path = Path.Combine(_directory!.FullName, name);
        if (!File.Exists(path))
        {
            FileBlockDevice.Create(path, length).DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        // "file" runs small reads and writes on the calling thread (the default), "file-on-thread-pool" every one on the pool.
        int inlineIoLimit = kind == "file-on-thread-pool" ? 0 : new FileBlockDeviceOptions().InlineIoLimit;
        return FileBlockDevice.Open(path, new FileBlockDeviceOptions { ReadOnly = readOnly, InlineIoLimit = inlineIoLimit });
    }

    private static byte[] Filled(int length, byte value)
    {
        var bytes = new byte[length];
        bytes.AsSpan().Fill(value);
        return bytes;
    }

    private static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
