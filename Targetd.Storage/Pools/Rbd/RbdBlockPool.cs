using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Targetd.Core.BlockDevices;
using Targetd.Storage.Errors;
using Targetd.Core.Names;

namespace Targetd.Storage.Pools.Rbd;

/// <summary>
/// A block pool whose volumes are RBD images of one Ceph pool, reached through librados/librbd. Several
/// targetd hosts may serve the same pool: an image written through one gateway reads the same through another.
/// </summary>
/// <remarks>
/// <para>
/// Spec (scale-out): "vol_create, vol_destroy, vol_list (uuid stable: the RBD image id), vol_copy (server-side:
/// snapshot + clone + flatten, or deep copy, never through the gateway's memory), vol_resize; pool_list sizes
/// from the cluster." A copy snapshots the source, clones the snapshot, flattens the clone inside the cluster
/// and removes the snapshot again, so it is a point-in-time copy even while the source is written.
/// </para>
/// <para>
/// Spec: "Missing libraries or an unreachable cluster [...] mark only that pool unavailable with errors that
/// say so; the other pools keep working." When the connection fails, every volume method fails with PoolUnavailable and
/// "RBD pool 'name' is unavailable: reason", and <c>pool_list</c> shows the pool with size 0; the connection
/// is tried again on use, at most every <see cref="RetryInterval"/>.
/// </para>
/// </remarks>
public sealed partial class RbdBlockPool : IBlockPool, IDisposable
{
    /// <summary>The least time between two connection attempts of an unavailable pool.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(10);

    private const int SectorSize = 512;

    private readonly IRadosApi _api;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private IRbdPoolContext? _context;
    private string _unavailableReason = "not connected yet";
    private long _lastAttempt = long.MinValue;
    private bool _disposed;

    /// <summary>Creates the pool <paramref name="name"/> over librados/librbd; it connects on <see cref="ConnectAsync"/> or first use.</summary>
    public RbdBlockPool(string name, RbdPoolOptions options, ILogger? logger = null)
        : this(name, options, new Native.NativeRadosApi(), logger, TimeProvider.System)
    {
    }

    internal RbdBlockPool(string name, RbdPoolOptions options, IRadosApi api, ILogger? logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(api);
        if (!ResourceName.IsValid(name))
        {
            throw new ArgumentException($"'{name}' is not a pool name ([a-zA-Z0-9_-]+, no '/').", nameof(name));
        }

        Name = name;
        Options = options;
        _api = api;
        _logger = logger ?? NullLogger.Instance;
        _time = time;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Where the pool lives.</summary>
    public RbdPoolOptions Options { get; }

    /// <summary>Whether the pool is connected to its cluster.</summary>
    public bool IsAvailable => Volatile.Read(ref _context) is not null;

    /// <summary>Connects now; false (and logged) when the libraries are missing or the cluster cannot be reached.</summary>
    public async Task<bool> ConnectAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await ContextAsync(force: true, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (StorageException)
        {
            return false;
        }
    }

    /// <summary>The cluster's raw size and free bytes; the uuid is the cluster fsid and the pool id.</summary>
    public async Task<BlockPoolInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        IRbdPoolContext context;
        try
        {
            context = await ContextAsync(force: false, cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException)
        {
            return new BlockPoolInfo(Name, 0, 0, string.Empty);
        }

        var stats = await CallAsync(context.GetClusterStats, null, cancellationToken).ConfigureAwait(false);
        return new BlockPoolInfo(Name, stats.Size, stats.Available, $"{context.ClusterFsid}-{context.PoolId}");
    }

    /// <summary>The images whose names are volume names, with their sizes; the uuid is the RBD image id.</summary>
    public async Task<IReadOnlyList<BlockVolume>> ListAsync(CancellationToken cancellationToken = default)
    {
        var context = await ContextAsync(force: false, cancellationToken).ConfigureAwait(false);
        return await CallAsync(
            () =>
            {
                var volumes = new List<BlockVolume>();
                foreach (var spec in context.ListImages().Where(s => ResourceName.IsValid(s.Name)).OrderBy(s => s.Name, StringComparer.Ordinal))
                {
                    try
                    {
                        using var image = context.OpenImage(spec.Name, readOnly: true);
                        volumes.Add(new BlockVolume(spec.Name, image.GetSize(), spec.Id));
                    }
                    catch (RbdException ex) when (ex.Errno == RbdException.ENOENT)
                    {
                        // Removed since it was listed.
                    }
                }

                return volumes;
            },
            null,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates an image of <paramref name="size"/> bytes rounded up to 512 (VolumeExists when the name is taken).</summary>
    public async Task CreateAsync(string name, long size, CancellationToken cancellationToken = default)
    {
        StorageErrors.EnsureValidName(name);
        long rounded = RoundUp(EnsurePositive(size));
        var context = await ContextAsync(force: false, cancellationToken).ConfigureAwait(false);
        await CallAsync(
            () =>
            {
                if (context.ListImages().Any(s => s.Name == name))
                {
                    throw StorageErrors.VolumeExists();
                }

                context.CreateImage(name, rounded);
                return 0;
            },
            name,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes an image and the state gateways shared for it (VolumeNotFound when missing; Failed while another client
    /// has it open or it has snapshots).
    /// </summary>
    public async Task DestroyAsync(string name, CancellationToken cancellationToken = default)
    {
        StorageErrors.EnsureValidName(name);
        var context = await ContextAsync(force: false, cancellationToken).ConfigureAwait(false);
        await CallAsync(
            () =>
            {
                var found = context.ListImages().Where(s => s.Name == name).ToArray();
                if (found.Length == 0)
                {
                    throw StorageErrors.VolumeNotFound(name, Name);
                }

                context.RemoveImage(name);

                // The SCSI state the gateways shared for the image goes with it.
                context.RemoveObject(RbdSharedState.StateObjectName(found[0].Id));
                context.RemoveObject(RbdSharedState.WatchName(found[0].Id));
                return 0;
            },
            name,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies inside the cluster: snapshot of the source, protected; clone; flatten; optional grow; then the
    /// snapshot is removed. A failure after the clone removes the clone again.
    /// </summary>
    public async Task CopyAsync(string source, string destination, long? size, CancellationToken cancellationToken = default)
    {
        StorageErrors.EnsureValidName(source);
        StorageErrors.EnsureValidName(destination);
        var context = await ContextAsync(force: false, cancellationToken).ConfigureAwait(false);
        await CallAsync(() => RbdCopy.Run(context, Name, source, destination, size is { } s ? RoundUp(s) : null, size), source, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Grows an image (VolumeNotFound; InvalidArgument when the size is not larger).</summary>
    public async Task ResizeAsync(string name, long size, CancellationToken cancellationToken = default)
    {
        StorageErrors.EnsureValidName(name);
        var context = await ContextAsync(force: false, cancellationToken).ConfigureAwait(false);
        await CallAsync(
            () =>
            {
                using var image = context.OpenImage(name, readOnly: false);
                if (size <= image.GetSize())
                {
                    throw StorageErrors.SizeNotLarger(size, name, Name);
                }

                image.Resize(RoundUp(size));
                return 0;
            },
            name,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens an image read-write as a block device of its current size (VolumeNotFound when missing).</summary>
    public async Task<IBlockDevice> OpenAsync(string name, CancellationToken cancellationToken = default)
    {
        StorageErrors.EnsureValidName(name);
        var context = await ContextAsync(force: false, cancellationToken).ConfigureAwait(false);
        return await CallAsync<IBlockDevice>(
            () =>
            {
                var image = context.OpenImage(name, readOnly: false);
                try
                {
                    long length = image.GetSize();
                    return new RbdBlockDevice(image, length - (length % SectorSize), readOnly: false, SectorSize, new RbdSharedState(context, image.GetId()));
                }
                catch
                {
                    image.Dispose();
                    throw;
                }
            },
            name,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Disconnects; images still open keep the connection until they are closed.</summary>
    public void Dispose()
    {
        _disposed = true;
        Interlocked.Exchange(ref _context, null)?.Dispose();
        _connecting.Dispose();
    }

    internal static long RoundUp(long size) => size % SectorSize == 0 ? size : checked(size + SectorSize - (size % SectorSize));

    private static long EnsurePositive(long size) =>
        size > 0 ? size : throw StorageErrors.InvalidArgument($"Size {size} must be larger than 0");

    /// <summary>Runs a blocking call off the thread pool and turns RBD errors into targetd's.</summary>
    private async Task<T> CallAsync<T>(Func<T> call, string? volume, CancellationToken cancellationToken)
    {
        try
        {
            return await RbdBlocking.RunAsync(call, cancellationToken).ConfigureAwait(false);
        }
        catch (RbdException ex)
        {
            throw ex.Errno switch
            {
                RbdException.ENOENT when volume is not null => StorageErrors.VolumeNotFound(volume, Name),
                RbdException.EEXIST => StorageErrors.VolumeExists(),
                RbdException.EBUSY when volume is not null => new StorageException(StorageErrorKind.Failed, $"RBD pool '{Name}': volume {volume} is in use by another client ({ex.Message})", ex),
                _ => new StorageException(StorageErrorKind.Failed, $"RBD pool '{Name}': {ex.Message}", ex),
            };
        }
    }

    /// <summary>The connection; connects first when there is none and the last attempt is old enough (or <paramref name="force"/>).</summary>
    private async Task<IRbdPoolContext> ContextAsync(bool force, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Volatile.Read(ref _context) is { } ready)
        {
            return ready;
        }

        await _connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_context is { } connected)
            {
                return connected;
            }

            long now = _time.GetTimestamp();
            if (!force && _lastAttempt != long.MinValue && _time.GetElapsedTime(_lastAttempt, now) < RetryInterval)
            {
                throw Unavailable();
            }

            _lastAttempt = now;
            try
            {
                var context = await RbdBlocking.RunAsync(() => _api.Connect(Options), cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _context, context);
                LogConnected(_logger, Name, Options.CephPool, context.ClusterFsid);
                return context;
            }
            catch (Exception ex) when (ex is RbdException or DllNotFoundException or EntryPointNotFoundException)
            {
                _unavailableReason = ex is RbdException
                    ? $"cannot reach Ceph pool '{Options.CephPool}' as client.{Options.ClientId} with {Options.ConfPath}: {ex.Message}"
                    : $"librados.so.2/librbd.so.1 cannot be loaded (install the packages librados2 and librbd1): {ex.Message}";
                LogUnavailable(_logger, Name, _unavailableReason);
                throw Unavailable();
            }
        }
        finally
        {
            _connecting.Release();
        }
    }

    private StorageException Unavailable() =>
        new(StorageErrorKind.PoolUnavailable, $"RBD pool '{Name}' is unavailable: {_unavailableReason}");

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "RBD pool {Pool} connected to Ceph pool {CephPool} of cluster {Fsid}")]
    private static partial void LogConnected(ILogger logger, string pool, string cephPool, string fsid);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "RBD pool {Pool} is unavailable: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string pool, string reason);
}
