using Targetd.Storage.Pools.Rbd;

namespace Targetd.Tests.Storage.Rbd;

/// <summary>An open image of <see cref="FakeRados"/>; aio operations run asynchronously and can be held at its gate.</summary>
internal sealed class FakeImageHandle(FakeRados rados, FakeImage image) : IRbdImage
{
    private bool _closed;

    public FakeImage Image => image;

    public long GetSize()
    {
        rados.Record("rbd_get_size");
        return image.Size;
    }

    public string GetId() => image.Id;

    public void Resize(long size)
    {
        rados.Record("rbd_resize");
        image.Resize(size);
    }

    public void CreateSnapshot(string name)
    {
        rados.Record("rbd_snap_create");
        image.Snapshots.Add(name, (byte[])image.Data.Clone());
    }

    public void ProtectSnapshot(string name)
    {
        rados.Record("rbd_snap_protect");
        image.Protected.Add(name);
    }

    public void UnprotectSnapshot(string name)
    {
        rados.Record("rbd_snap_unprotect");
        image.Protected.Remove(name);
    }

    public void RemoveSnapshot(string name)
    {
        rados.Record("rbd_snap_remove");
        if (image.Protected.Contains(name))
        {
            throw new RbdException("rbd_snap_remove", RbdException.EBUSY);
        }

        image.Snapshots.Remove(name);
    }

    public void Flatten()
    {
        rados.Record("rbd_flatten");
        image.Flatten();
    }

    public void DiffIterate(long offset, long length, Action<long, long, bool> extent)
    {
        rados.Record("rbd_diff_iterate2");
        for (long sector = offset / FakeImage.Sector; sector * FakeImage.Sector < offset + length; sector++)
        {
            if (image.Allocated[sector])
            {
                extent(sector * FakeImage.Sector, FakeImage.Sector, true);
            }
        }
    }

    public Task ReadAsync(long offset, Memory<byte> destination) => RunAsync("rbd_aio_read", () => image.Read(offset, destination.Span));

    public Task WriteAsync(long offset, ReadOnlyMemory<byte> source) => RunAsync("rbd_aio_write", () => image.Write(offset, source.Span));

    public async Task<long> CompareAndWriteAsync(long offset, ReadOnlyMemory<byte> compare, ReadOnlyMemory<byte> write)
    {
        long mismatch = -1;
        await RunAsync("rbd_aio_compare_and_write", () =>
        {
            // As Ceph 16's librbd: one 512-byte sector at most.
            if ((offset % FakeImage.Sector) + write.Length > FakeImage.Sector)
            {
                throw new RbdException("rbd_aio_compare_and_write", RbdException.EINVAL);
            }

            mismatch = image.CompareAndWrite(offset, compare.Span, write.Span);
        });

        // As Ceph 16.2's librbd: the start of the 4 MiB object plus the offset within the range.
        return mismatch < 0 ? -1 : mismatch - (offset % (4L << 20));
    }

    public Task DiscardAsync(long offset, long length) => RunAsync("rbd_aio_discard", () => image.Zero(offset, length));

    public Task WriteZeroesAsync(long offset, long length) => RunAsync("rbd_aio_write_zeroes", () => image.Zero(offset, length));

    public Task FlushAsync() => RunAsync("rbd_aio_flush", () => { });

    public void Dispose()
    {
        if (!_closed)
        {
            _closed = true;
            rados.Record("rbd_close");
            Interlocked.Decrement(ref rados.OpenImagesField);
        }
    }

    private async Task RunAsync(string call, Action operation)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        rados.Record(call);
        int inFlight = Interlocked.Increment(ref rados.InFlight);
        int max;
        while (inFlight > (max = Volatile.Read(ref rados.MaxInFlight)) && Interlocked.CompareExchange(ref rados.MaxInFlight, inFlight, max) != max)
        {
        }

        try
        {
            await Task.Yield();
            if (rados.AioGate is { } gate)
            {
                await gate;
            }

            operation();
        }
        finally
        {
            Interlocked.Decrement(ref rados.InFlight);
        }
    }
}
