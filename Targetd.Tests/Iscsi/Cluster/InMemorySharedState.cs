using System.Buffers.Binary;
using Targetd.Core.BlockDevices;

namespace Targetd.Tests.Iscsi.Cluster;

/// <summary>
/// A cluster's shared state in memory: compare-and-set on the sequence, with races and outages to order, and
/// announcements that run every watcher's handler (unless <see cref="Watchable"/> is off).
/// </summary>
internal sealed class InMemorySharedState : ISharedDeviceState, ISharedDeviceStateWatch
{
    private readonly Lock _gate = new();
    private long _sequence;
    private byte[] _content = [];

    /// <summary>How many of the next writes lose a race (another writer bumps the sequence first).</summary>
    public int RacesToLose { get; set; }

    /// <summary>Whether the state cannot be reached.</summary>
    public bool Unreachable { get; set; }

    public int Writes { get; private set; }

    /// <summary>Whether watches are taken (off: a cluster that cannot announce changes).</summary>
    public bool Watchable { get; set; } = true;

    public int Announcements { get; private set; }

    private List<Func<CancellationToken, ValueTask>> Watchers { get; } = [];

    public void Watch(Func<CancellationToken, ValueTask> changed)
    {
        if (Watchable)
        {
            lock (_gate)
            {
                Watchers.Add(changed);
            }
        }
    }

    public async ValueTask<bool> AnnounceAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        Func<CancellationToken, ValueTask>[] watchers;
        lock (_gate)
        {
            Announcements++;
            watchers = [.. Watchers];
        }

        var all = Task.WhenAll(watchers.Select(w => w(cancellationToken).AsTask()));
        return await Task.WhenAny(all, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false) == all;
    }

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
