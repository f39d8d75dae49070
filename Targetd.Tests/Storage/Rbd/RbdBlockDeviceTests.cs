using Targetd.Core.BlockDevices;
using Targetd.Storage.Pools.Rbd;

namespace Targetd.Tests.Storage.Rbd;

/// <summary>The RBD block device on a fake image: what reaches librbd, concurrency, cancellation and extents.</summary>
public sealed class RbdBlockDeviceTests
{
    private const long Length = 4L << 20;
    private FakeRados _rados = null!;
    private FakeImage _image = null!;
    private RbdBlockDevice _device = null!;

    [SetUp]
    public void SetUp()
    {
        _rados = new FakeRados();
        _image = _rados.AddImage("disk", Length);
        _device = new RbdBlockDevice(new FakeImageHandle(_rados, _image), Length, readOnly: false);
    }

    [TearDown]
    public async Task TearDown() => await _device.DisposeAsync();

    [Test]
    public async Task Discard_and_write_zeroes_reach_rbd_as_their_own_calls()
    {
        await _device.WriteAsync(0, Enumerable.Repeat((byte)7, 64 * 1024).ToArray());
        _rados.Calls.Clear();

        await _device.DiscardAsync(0, 8192);
        await _device.WriteZeroesAsync(16384, 4096);
        await _device.FlushAsync();

        _rados.Calls.Should().Equal("rbd_aio_discard", "rbd_aio_write_zeroes", "rbd_aio_flush");
        _image.Data.AsSpan(0, 8192).ToArray().Should().OnlyContain(b => b == 0);
        _image.Data.AsSpan(8192, 8192).ToArray().Should().OnlyContain(b => b == 7);
    }

    [Test]
    public async Task Concurrent_operations_are_all_in_flight_at_once()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _rados.AioGate = gate.Task;
        var writes = Enumerable.Range(0, 32).Select(i => _device.WriteAsync(i * 4096L, new byte[4096]).AsTask()).ToList();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Volatile.Read(ref _rados.InFlight) < 32 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        _rados.InFlight.Should().Be(32, "the device submits every write without waiting for the previous one");
        gate.SetResult();
        await Task.WhenAll(writes);
        _rados.MaxInFlight.Should().Be(32);
    }

    [Test]
    public async Task A_cancelled_token_after_submission_does_not_abandon_the_buffer()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _rados.AioGate = gate.Task;
        using var cancel = new CancellationTokenSource();
        var data = Enumerable.Repeat((byte)0x3C, 4096).ToArray();

        var write = _device.WriteAsync(8192, data, cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Task.Delay(50);

        write.IsCompleted.Should().BeFalse("the task ends only when librbd's completion fires");
        gate.SetResult();
        await write;
        _image.Data.AsSpan(8192, 4096).ToArray().Should().OnlyContain(b => b == 0x3C);
    }

    [Test]
    public async Task Allocated_extents_are_merged_and_clipped_to_the_query()
    {
        await _device.WriteAsync(4096, new byte[8192]);
        await _device.WriteAsync(1 << 20, new byte[512]);

        var all = await _device.GetAllocatedExtentsAsync(0, Length);
        var clipped = await _device.GetAllocatedExtentsAsync(6000, 1000);

        all.Should().Equal(new BlockExtent(4096, 8192), new BlockExtent(1 << 20, 512));
        clipped.Should().Equal(new BlockExtent(6000, 1000));
    }

    [Test]
    public async Task Out_of_range_and_read_only_requests_never_reach_rbd()
    {
        await using var readOnly = new RbdBlockDevice(new FakeImageHandle(_rados, _image), Length, readOnly: true);
        _rados.Calls.Clear();

        var past = async () => await _device.ReadAsync(Length - 512, new byte[1024]);
        var write = async () => await readOnly.WriteAsync(0, new byte[512]);
        var discard = async () => await readOnly.DiscardAsync(0, 512);

        await past.Should().ThrowAsync<ArgumentOutOfRangeException>();
        await write.Should().ThrowAsync<NotSupportedException>();
        await discard.Should().ThrowAsync<NotSupportedException>();
        _rados.Calls.Should().BeEmpty();
    }

    [Test]
    public async Task Native_errors_surface_as_io_exceptions_naming_the_call()
    {
        _rados.Failures["rbd_aio_write"] = 5;

        var write = async () => await _device.WriteAsync(0, new byte[512]);

        (await write.Should().ThrowAsync<IOException>()).Which.Message.Should().Contain("rbd_aio_write").And.Contain("EIO");
    }

    [TestCase(0, 512, true)]
    [TestCase(3584, 512, true)]
    [TestCase(1024, 100, true)]
    [TestCase(0, 1024, false)]
    [TestCase((4L << 20) - 512, 1024, false)]
    [TestCase(256, 256, false)]
    [TestCase(0, 0, false)]
    public void Compare_and_write_takes_a_range_that_starts_a_sector_and_stays_within_it(long offset, int length, bool takes) =>
        _device.CanCompareAndWrite(offset, length).Should().Be(takes);

    [Test]
    public async Task Compare_and_write_is_one_librbd_call_and_counts_the_mismatch_from_the_range()
    {
        var image = _rados.AddImage("large", 16L << 20);
        await using var device = new RbdBlockDevice(new FakeImageHandle(_rados, image), 16L << 20, readOnly: false);
        long offset = (12L << 20) + 4096;
        await device.WriteAsync(offset, Enumerable.Repeat((byte)9, 512).ToArray());
        var wrong = Enumerable.Repeat((byte)9, 512).ToArray();
        wrong[37] = 0;
        _rados.Calls.Clear();

        long miscompare = await device.CompareAndWriteAsync(offset, wrong, new byte[512]);
        long written = await device.CompareAndWriteAsync(offset, Enumerable.Repeat((byte)9, 512).ToArray(), Enumerable.Repeat((byte)2, 512).ToArray());
        var refused = async () => await device.CompareAndWriteAsync(offset, new byte[1024], new byte[1024]);

        miscompare.Should().Be(37, "librbd's object start (12 MiB) plus 37 is 37 bytes into the range");
        written.Should().Be(-1);
        image.Data.AsSpan((int)offset, 512).ToArray().Should().OnlyContain(b => b == 2);
        await refused.Should().ThrowAsync<ArgumentException>();
        _rados.Calls.Should().Equal("rbd_aio_compare_and_write", "rbd_aio_compare_and_write");
    }

    [Test]
    public async Task Dispose_closes_the_image_once()
    {
        await _device.DisposeAsync();
        await _device.DisposeAsync();

        _rados.Calls.Count(c => c == "rbd_close").Should().Be(1);
        var read = async () => await _device.ReadAsync(0, new byte[512]);
        await read.Should().ThrowAsync<ObjectDisposedException>();
    }
}
