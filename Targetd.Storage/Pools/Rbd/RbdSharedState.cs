using System.Buffers.Binary;
using Targetd.Core.BlockDevices;

namespace Targetd.Storage.Pools.Rbd;

/// <summary>
/// The state every gateway serving an image shares, in a RADOS object beside it (<c>targetd.scsi_state.</c> and the
/// image id): an 8-byte big-endian sequence, then the content. A write is one guarded operation that compares the
/// sequence it read (rados_write_op_cmpext; an exclusive create for the first) before replacing the object, so two
/// gateways never both win; the loser reads again. Changes are announced with a RADOS notify on a second object
/// (<c>targetd.scsi_watch.</c> and the image id) that every gateway serving the image watches.
/// </summary>
internal sealed class RbdSharedState : ISharedDeviceState, ISharedDeviceStateWatch, IDisposable
{
    /// <summary>The largest state kept, sequence included.</summary>
    public const int MaximumSize = 64 * 1024;

    private const int HeaderSize = 8;
    private readonly IRbdPoolContext _context;
    private readonly Lock _gate = new();
    private readonly List<IDisposable> _watches = [];
    private bool _disposed;

    public RbdSharedState(IRbdPoolContext context, string imageId)
    {
        _context = context;
        ObjectName = StateObjectName(imageId);
        WatchObjectName = WatchName(imageId);
    }

    /// <summary>The RADOS object's name.</summary>
    public string ObjectName { get; }

    /// <summary>The RADOS object the gateways watch for changes.</summary>
    public string WatchObjectName { get; }

    /// <summary>The name of the object holding an image's shared state.</summary>
    public static string StateObjectName(string imageId) => "targetd.scsi_state." + imageId;

    /// <summary>The name of the object gateways watch for an image's state changes.</summary>
    public static string WatchName(string imageId) => "targetd.scsi_watch." + imageId;

    public async ValueTask<SharedStateValue> ReadStateAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        byte[]? data = await _context.ReadObjectAsync(ObjectName, MaximumSize).ConfigureAwait(false);
        if (data is null || data.Length < HeaderSize)
        {
            return new SharedStateValue(0, ReadOnlyMemory<byte>.Empty);
        }

        return new SharedStateValue(BinaryPrimitives.ReadInt64BigEndian(data), data.AsMemory(HeaderSize));
    }

    public async ValueTask<bool> TryWriteStateAsync(long sequence, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        if (content.Length > MaximumSize - HeaderSize)
        {
            throw new ArgumentOutOfRangeException(nameof(content), "The shared state is too large.");
        }

        var data = new byte[HeaderSize + content.Length];
        BinaryPrimitives.WriteInt64BigEndian(data, sequence + 1);
        content.CopyTo(data.AsMemory(HeaderSize));
        var expected = new byte[sequence == 0 ? 0 : HeaderSize];
        if (sequence != 0)
        {
            BinaryPrimitives.WriteInt64BigEndian(expected, sequence);
        }

        return await RbdBlocking.RunAsync(() => _context.CompareAndWriteObject(ObjectName, expected, data), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Watch(Func<CancellationToken, ValueTask> changed)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _watches.Add(_context.WatchObject(WatchObjectName, changed));
        }
    }

    /// <inheritdoc/>
    public async ValueTask<bool> AnnounceAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        await RbdBlocking.RunAsync(() => _context.NotifyObject(WatchObjectName, timeout), cancellationToken).ConfigureAwait(false);

    /// <summary>Ends the watches (rados_unwatch2 blocks briefly: call it off the thread pool).</summary>
    public void Dispose()
    {
        IDisposable[] watches;
        lock (_gate)
        {
            _disposed = true;
            watches = [.. _watches];
            _watches.Clear();
        }

        foreach (var watch in watches)
        {
            watch.Dispose();
        }
    }
}
