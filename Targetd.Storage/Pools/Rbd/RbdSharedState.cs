using System.Buffers.Binary;
using Targetd.Core.BlockDevices;

namespace Targetd.Storage.Pools.Rbd;

/// <summary>
/// The state every gateway serving an image shares, in a RADOS object beside it (<c>targetd.scsi_state.</c> and the
/// image id): an 8-byte big-endian sequence, then the content. A write is one guarded operation that compares the
/// sequence it read (rados_write_op_cmpext; an exclusive create for the first) before replacing the object, so two
/// gateways never both win; the loser reads again.
/// </summary>
internal sealed class RbdSharedState : ISharedDeviceState
{
    /// <summary>The largest state kept, sequence included.</summary>
    public const int MaximumSize = 64 * 1024;

    private const int HeaderSize = 8;
    private readonly IRbdPoolContext _context;

    public RbdSharedState(IRbdPoolContext context, string imageId)
    {
        _context = context;
        ObjectName = "targetd.scsi_state." + imageId;
    }

    /// <summary>The RADOS object's name.</summary>
    public string ObjectName { get; }

    public async ValueTask<SharedStateValue> ReadStateAsync(CancellationToken cancellationToken = default)
    {
        byte[]? data = await RbdBlocking.RunAsync(() => _context.ReadObject(ObjectName, MaximumSize), cancellationToken).ConfigureAwait(false);
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
}
