using Targetd.Core.BlockDevices;

namespace Targetd.Tests.Core;

public sealed class MemoryBlockDeviceTests
{
    [Test]
    public async Task Storage_is_allocated_per_chunk_on_write_and_released_by_discard()
    {
        await using var device = new MemoryBlockDevice(1024 * 1024, chunkSize: 4096);

        await device.WriteAsync(4096 + 100, new byte[] { 1, 2, 3 });
        long afterWrite = device.AllocatedBytes;
        await device.DiscardAsync(4096, 4096);

        afterWrite.Should().Be(4096);
        device.AllocatedBytes.Should().Be(0);
    }

    [Test]
    public async Task Partial_discard_keeps_the_chunk_but_zeroes_the_range()
    {
        await using var device = new MemoryBlockDevice(1024 * 1024, chunkSize: 4096);
        await device.WriteAsync(0, Enumerable.Repeat((byte)9, 4096).ToArray());

        await device.DiscardAsync(512, 512);

        device.AllocatedBytes.Should().Be(4096);
        var back = new byte[4096];
        await device.ReadAsync(0, back);
        back.Count(b => b == 0).Should().Be(512);
        back.AsSpan(512, 512).ToArray().Should().OnlyContain(b => b == 0);
    }

    [Test]
    public async Task Reads_are_atomic_with_respect_to_writes()
    {
        const int size = 128 * 1024;
        await using var device = new MemoryBlockDevice(1024 * 1024);
        await device.WriteAsync(0, Enumerable.Repeat((byte)0xAA, size).ToArray());
        var writer = Task.Run(async () =>
        {
            for (int i = 0; i < 200; i++)
            {
                await device.WriteAsync(0, Enumerable.Repeat((byte)(i % 2 == 0 ? 0xBB : 0xAA), size).ToArray());
            }
        });
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[size];
            while (!writer.IsCompleted)
            {
                await device.ReadAsync(0, buffer);
                buffer.AsSpan().IndexOfAnyExcept(buffer[0]).Should().Be(-1, "a read sees one whole write");
            }
        });

        await Task.WhenAll(writer, reader);
    }

    [TestCase(1000L, 512, 65536)]
    [TestCase(4096L, 1000, 65536)]
    [TestCase(4096L, 4096, 512)]
    [TestCase(-512L, 512, 65536)]
    public void Bad_geometry_is_refused(long length, int blockSize, int chunkSize)
    {
        var create = () => new MemoryBlockDevice(length, blockSize, chunkSize: chunkSize);

        create.Should().Throw<ArgumentException>();
    }
}
