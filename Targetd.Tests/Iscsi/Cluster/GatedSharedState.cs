using Targetd.Core.BlockDevices;

namespace Targetd.Tests.Iscsi.Cluster;

/// <summary>A shared state whose reads each wait until the test answers them, in order, with a sequence or a failure.</summary>
internal sealed class GatedSharedState : ISharedDeviceState
{
    private readonly Queue<TaskCompletionSource<SharedStateValue>> _pending = new();

    /// <summary>Reads started and not yet answered.</summary>
    public int Pending
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
    }

    public ValueTask<SharedStateValue> ReadStateAsync(CancellationToken cancellationToken = default)
    {
        var read = new TaskCompletionSource<SharedStateValue>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_pending)
        {
            _pending.Enqueue(read);
        }

        return new ValueTask<SharedStateValue>(read.Task);
    }

    public ValueTask<bool> TryWriteStateAsync(long sequence, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    /// <summary>Answers the oldest read with a state at <paramref name="sequence"/>.</summary>
    public void Answer(long sequence) => Next().SetResult(new SharedStateValue(sequence, ReadOnlyMemory<byte>.Empty));

    /// <summary>Fails the oldest read as an unreachable cluster does.</summary>
    public void Fail() => Next().SetException(new IOException("cluster unreachable"));

    private TaskCompletionSource<SharedStateValue> Next()
    {
        lock (_pending)
        {
            return _pending.Dequeue();
        }
    }
}
