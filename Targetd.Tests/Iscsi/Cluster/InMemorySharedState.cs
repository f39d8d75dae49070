using System.Buffers.Binary;
using Targetd.Core.BlockDevices;

namespace Targetd.Tests.Iscsi.Cluster;

/// <summary>A cluster's shared state in memory: compare-and-set on the sequence, with races and outages to order.</summary>
internal sealed class InMemorySharedState : ISharedDeviceState
{
    private readonly Lock _gate = new();
    private long _sequence;
    private byte[] _content = [];

    /// <summary>How many of the next writes lose a race (another writer bumps the sequence first).</summary>
    public int RacesToLose { get; set; }

    /// <summary>Whether the state cannot be reached.</summary>
    public bool Unreachable { get; set; }

    public int Writes { get; private set; }

    public ValueTask<SharedStateValue> ReadStateAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfUnreachable();
        lock (_gate)
        {
            return ValueTask.FromResult(new SharedStateValue(_sequence, _content.ToArray()));
        }
    }

    public ValueTask<bool> TryWriteStateAsync(long sequence, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        ThrowIfUnreachable();
        lock (_gate)
        {
            if (RacesToLose > 0)
            {
                RacesToLose--;
                _sequence++;
            }

            if (sequence != _sequence)
            {
                return ValueTask.FromResult(false);
            }

            _sequence++;
            _content = content.ToArray();
            Writes++;
            return ValueTask.FromResult(true);
        }
    }

    /// <summary>The sequence as a big-endian prefix, for checks.</summary>
    public byte[] SequencePrefix()
    {
        var prefix = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(prefix, _sequence);
        return prefix;
    }

    private void ThrowIfUnreachable()
    {
        if (Unreachable)
        {
            throw new IOException("cluster unreachable");
        }
    }
}
