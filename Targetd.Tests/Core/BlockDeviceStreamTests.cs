using System.Security.Cryptography;
using Targetd.Core.BlockDevices;

namespace Targetd.Tests.Core;

public sealed class BlockDeviceStreamTests
{
    [Test]
    public async Task Reading_to_the_end_returns_the_whole_device_and_hashes_like_its_bytes()
    {
        var content = new byte[3 * 65536 + 512];
        new Random(7).NextBytes(content);
        await using var device = new MemoryBlockDevice(content.Length);
        await device.WriteAsync(0, content);
        await using var stream = new BlockDeviceStream(device);

        var hash = await SHA256.HashDataAsync(stream);

        hash.Should().Equal(SHA256.HashData(content));
        stream.Position.Should().Be(content.Length);
        (await stream.ReadAsync(new byte[16])).Should().Be(0, "the end of the device is the end of the stream");
    }

    [Test]
    public async Task Seeking_reads_from_the_new_position_and_a_read_near_the_end_is_short()
    {
        await using var device = new MemoryBlockDevice(4096);
        await device.WriteAsync(4000, Enumerable.Range(0, 96).Select(i => (byte)i).ToArray());
        await using var stream = new BlockDeviceStream(device);
        var buffer = new byte[200];

        stream.Seek(-96, SeekOrigin.End).Should().Be(4000);
        int read = await stream.ReadAsync(buffer);

        read.Should().Be(96);
        buffer[..96].Should().Equal(Enumerable.Range(0, 96).Select(i => (byte)i));
        stream.Length.Should().Be(4096);
    }

    [Test]
    public async Task The_stream_only_reads_and_leaves_the_device_open_unless_told()
    {
        var device = new MemoryBlockDevice(4096);
        var kept = new BlockDeviceStream(device);
        var write = () => kept.Write([1], 0, 1);

        kept.CanWrite.Should().BeFalse();
        write.Should().Throw<NotSupportedException>();
        await kept.DisposeAsync();
        await device.ReadAsync(0, new byte[512]);

        await new BlockDeviceStream(device, leaveOpen: false).DisposeAsync();
        var afterDispose = async () => await device.ReadAsync(0, new byte[512]);
        await afterDispose.Should().ThrowAsync<ObjectDisposedException>();
    }
}
