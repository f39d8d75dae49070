namespace Targetd.Storage.Pools.Rbd;

/// <summary>
/// An open RBD image. The synchronous calls block (run them off the thread pool); the asynchronous ones are
/// librbd's aio calls, which complete on librbd's threads. A buffer passed to them must stay valid until the
/// returned task completes, which the implementation guarantees by pinning it until librbd's completion fires.
/// </summary>
internal interface IRbdImage : IDisposable
{
    /// <summary>The image's size in bytes (rbd_get_size).</summary>
    long GetSize();

    /// <summary>The image's stable id (rbd_get_id).</summary>
    string GetId();

    /// <summary>Changes the size (rbd_resize).</summary>
    void Resize(long size);

    /// <summary>rbd_snap_create.</summary>
    void CreateSnapshot(string name);

    /// <summary>rbd_snap_protect.</summary>
    void ProtectSnapshot(string name);

    /// <summary>rbd_snap_unprotect.</summary>
    void UnprotectSnapshot(string name);

    /// <summary>rbd_snap_remove.</summary>
    void RemoveSnapshot(string name);

    /// <summary>Copies the parent's data into a clone and detaches it (rbd_flatten).</summary>
    void Flatten();

    /// <summary>
    /// Reports the allocated ranges of <c>[offset, offset + length)</c>, parent included (rbd_diff_iterate2
    /// from the image's creation): (offset, length, exists) in ascending order.
    /// </summary>
    void DiffIterate(long offset, long length, Action<long, long, bool> extent);

    /// <summary>rbd_aio_read.</summary>
    Task ReadAsync(long offset, Memory<byte> destination);

    /// <summary>rbd_aio_write.</summary>
    Task WriteAsync(long offset, ReadOnlyMemory<byte> source);

    /// <summary>
    /// rbd_aio_compare_and_write: one RADOS operation (cmpext and write) on the object holding the range, atomic
    /// against every client of the image. Pacific's librbd (Ceph 16) refuses with EINVAL a range that does not lie
    /// within one 512-byte sector (and one stripe unit).
    /// </summary>
    /// <returns>
    /// -1 when it wrote; otherwise the mismatch offset librbd reports with -EILSEQ: in Ceph 16.2 the start of the
    /// object holding the range plus the offset of the first differing byte within the range.
    /// </returns>
    Task<long> CompareAndWriteAsync(long offset, ReadOnlyMemory<byte> compare, ReadOnlyMemory<byte> write);

    /// <summary>rbd_aio_discard.</summary>
    Task DiscardAsync(long offset, long length);

    /// <summary>rbd_aio_write_zeroes.</summary>
    Task WriteZeroesAsync(long offset, long length);

    /// <summary>rbd_aio_flush.</summary>
    Task FlushAsync();
}
