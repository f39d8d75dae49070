using Targetd.Storage.Pools.Rbd;

namespace Targetd.Tests.Storage.Rbd;

/// <summary>
/// An in-memory cluster behind the native-layer interfaces: images with ids, data, 512-byte allocation,
/// snapshots and clones; every call is recorded, any call can be made to fail with an errno, and aio
/// completions can be held back to observe operations in flight.
/// </summary>
internal sealed class FakeRados : IRadosApi
{
    private int _nextId = 0x1000;

    public Dictionary<string, FakeImage> Images { get; } = new(StringComparer.Ordinal);

    public List<string> Calls { get; } = [];

    /// <summary>Call name (e.g. "rbd_flatten") → errno it fails with.</summary>
    public Dictionary<string, int> Failures { get; } = new(StringComparer.Ordinal);

    /// <summary>Thrown by <see cref="Connect"/> while set.</summary>
    public Exception? ConnectFailure { get; set; }

    public int Connects { get; private set; }

    public bool ContextDisposed { get; set; }

    /// <summary>While not null, aio operations complete only when this task completes.</summary>
    public Task? AioGate { get; set; }

    public int InFlight;

    public int MaxInFlight;

    /// <summary>The RADOS objects of the pool, by name.</summary>
    public Dictionary<string, byte[]> Objects { get; } = new(StringComparer.Ordinal);

    /// <summary>The watches set on RADOS objects, by object name.</summary>
    public Dictionary<string, List<Func<CancellationToken, ValueTask>>> Watches { get; } = new(StringComparer.Ordinal);

    public RbdClusterStats Stats { get; set; } = new(100L << 30, 30L << 30, 70L << 30);

    public IRbdPoolContext Connect(RbdPoolOptions options)
    {
        Connects++;
        Record("rados_connect");
        if (ConnectFailure is { } failure)
        {
            throw failure;
        }

        return new FakePoolContext(this);
    }

    public FakeImage AddImage(string name, long size)
    {
        var image = new FakeImage(name, (_nextId++).ToString("x12", System.Globalization.CultureInfo.InvariantCulture), size);
        Images.Add(name, image);
        return image;
    }

    /// <summary>Records a call, and throws the errno configured for it.</summary>
    public void Record(string call)
    {
        lock (Calls)
        {
            Calls.Add(call);
        }

        if (Failures.TryGetValue(call, out int errno))
        {
            throw new RbdException(call, errno);
        }
    }

    private sealed class FakePoolContext(FakeRados rados) : IRbdPoolContext
    {
        public string ClusterFsid => "6f1b7e2a-0000-4000-8000-00000000cafe";

        public long PoolId => 7;

        public Task<byte[]?> ReadObjectAsync(string oid, int maximum)
        {
            rados.Record("rados_aio_read");
            lock (rados.Objects)
            {
                return Task.FromResult(rados.Objects.TryGetValue(oid, out var data) ? data[..Math.Min(maximum, data.Length)] : null);
            }
        }

        public bool CompareAndWriteObject(string oid, ReadOnlySpan<byte> expectedPrefix, ReadOnlySpan<byte> content)
        {
            rados.Record("rados_write_op_operate");
            lock (rados.Objects)
            {
                bool exists = rados.Objects.TryGetValue(oid, out var data);
                if (expectedPrefix.IsEmpty ? exists : !exists || !data!.AsSpan().StartsWith(expectedPrefix))
                {
                    return false;
                }

                rados.Objects[oid] = content.ToArray();
                return true;
            }
        }

        public IDisposable WatchObject(string oid, Func<CancellationToken, ValueTask> changed)
        {
            rados.Record("rados_watch2");
            lock (rados.Watches)
            {
                if (!rados.Watches.TryGetValue(oid, out var list))
                {
                    rados.Watches[oid] = list = [];
                }

                list.Add(changed);
            }

            return new Unwatch(() =>
            {
                lock (rados.Watches)
                {
                    rados.Watches[oid].Remove(changed);
                }
            });
        }

        public bool NotifyObject(string oid, TimeSpan timeout)
        {
            rados.Record("rados_notify2");
            Func<CancellationToken, ValueTask>[] watchers;
            lock (rados.Watches)
            {
                watchers = rados.Watches.TryGetValue(oid, out var list) ? [.. list] : [];
            }

            return Task.WhenAll(watchers.Select(w => w(CancellationToken.None).AsTask())).Wait(timeout);
        }

        public void RemoveObject(string oid)
        {
            rados.Record("rados_remove");
            lock (rados.Objects)
            {
                rados.Objects.Remove(oid);
            }
        }

        public RbdClusterStats GetClusterStats()
        {
            rados.Record("rados_cluster_stat");
            return rados.Stats;
        }

        public IReadOnlyList<RbdImageSpec> ListImages()
        {
            rados.Record("rbd_list2");
            lock (rados.Images)
            {
                return [.. rados.Images.Values.Select(i => new RbdImageSpec(i.Id, i.Name))];
            }
        }

        public void CreateImage(string name, long size)
        {
            rados.Record("rbd_create");
            lock (rados.Images)
            {
                if (rados.Images.ContainsKey(name))
                {
                    throw new RbdException("rbd_create", RbdException.EEXIST);
                }

                rados.AddImage(name, size);
            }
        }

        public void RemoveImage(string name)
        {
            rados.Record("rbd_remove");
            lock (rados.Images)
            {
                if (!rados.Images.TryGetValue(name, out var image))
                {
                    throw new RbdException("rbd_remove", RbdException.ENOENT);
                }

                if (image.Snapshots.Count > 0)
                {
                    throw new RbdException("rbd_remove", RbdException.ENOTEMPTY);
                }

                rados.Images.Remove(name);
            }
        }

        public void Clone(string parent, string snapshot, string child)
        {
            rados.Record("rbd_clone3");
            lock (rados.Images)
            {
                var origin = rados.Images[parent];
                if (!origin.Protected.Contains(snapshot))
                {
                    throw new RbdException("rbd_clone3", RbdException.EINVAL);
                }

                var clone = rados.AddImage(child, origin.Snapshots[snapshot].Length);
                clone.Parent = origin.Snapshots[snapshot];
            }
        }

        public IRbdImage OpenImage(string name, bool readOnly)
        {
            rados.Record(readOnly ? "rbd_open_read_only" : "rbd_open");
            FakeImage? image;
            lock (rados.Images)
            {
                rados.Images.TryGetValue(name, out image);
            }

            if (image is null)
            {
                throw new RbdException("rbd_open", RbdException.ENOENT);
            }

            Interlocked.Increment(ref rados.OpenImagesField);
            return new FakeImageHandle(rados, image);
        }

        public void Dispose() => rados.ContextDisposed = true;
    }

    /// <summary>Images opened and not yet closed.</summary>
    public int OpenImagesField;
}
