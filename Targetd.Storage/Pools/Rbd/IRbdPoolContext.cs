namespace Targetd.Storage.Pools.Rbd;

/// <summary>
/// A connected cluster with an I/O context on one pool. The synchronous calls block on the cluster; callers
/// run them off the thread pool (<see cref="RbdBlocking"/>). Failures are <see cref="RbdException"/>s.
/// Disposing it keeps the connection alive until every image opened from it is disposed too.
/// </summary>
internal interface IRbdPoolContext : IDisposable
{
    /// <summary>The cluster's fsid.</summary>
    string ClusterFsid { get; }

    /// <summary>The pool's id in the cluster.</summary>
    long PoolId { get; }

    /// <summary>The cluster's raw capacity.</summary>
    RbdClusterStats GetClusterStats();

    /// <summary>The images of the pool (rbd_list2; images in the trash are not listed).</summary>
    IReadOnlyList<RbdImageSpec> ListImages();

    /// <summary>Creates an image with the cluster's default features (rbd_create).</summary>
    void CreateImage(string name, long size);

    /// <summary>Removes an image (rbd_remove).</summary>
    void RemoveImage(string name);

    /// <summary>Clones <paramref name="parent"/>@<paramref name="snapshot"/> (protected) as <paramref name="child"/> (rbd_clone3).</summary>
    void Clone(string parent, string snapshot, string child);

    /// <summary>Opens an image by name (rbd_open / rbd_open_read_only).</summary>
    IRbdImage OpenImage(string name, bool readOnly);

    /// <summary>
    /// Reads up to <paramref name="maximum"/> bytes of a RADOS object (rados_aio_read: no thread waits); null when it
    /// does not exist.
    /// </summary>
    Task<byte[]?> ReadObjectAsync(string oid, int maximum);

    /// <summary>
    /// Replaces a RADOS object's content in one guarded write operation: when <paramref name="expectedPrefix"/> is
    /// empty the object must not exist yet (rados_write_op_create, exclusive), otherwise its first bytes must equal it
    /// (rados_write_op_cmpext). False when the guard fails.
    /// </summary>
    bool CompareAndWriteObject(string oid, ReadOnlySpan<byte> expectedPrefix, ReadOnlySpan<byte> content);

    /// <summary>
    /// Watches a RADOS object (rados_watch2; the object is created empty when missing), in the background:
    /// <paramref name="changed"/> runs on every notify, which is acknowledged once its task completes, and again after
    /// the watch was lost and set up again. Disposing the result unwatches.
    /// </summary>
    IDisposable WatchObject(string oid, Func<CancellationToken, ValueTask> changed);

    /// <summary>
    /// Notifies an object's watchers (rados_notify2) and waits until each acknowledged or <paramref name="timeout"/>
    /// passed; false on a timeout. An object that does not exist has no watchers.
    /// </summary>
    bool NotifyObject(string oid, TimeSpan timeout);

    /// <summary>Removes a RADOS object (rados_remove); one that does not exist is no error.</summary>
    void RemoveObject(string oid);
}
