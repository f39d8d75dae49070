namespace Targetd.Iscsi.Server;

/// <summary>What one task holds of its session's and its registry's <see cref="BufferBudget"/>; given back once.</summary>
internal sealed class BufferCharge
{
    private readonly BufferBudget _session;
    private readonly BufferBudget _global;
    private long _bytes;

    private BufferCharge(BufferBudget session, BufferBudget global, long bytes)
    {
        _session = session;
        _global = global;
        _bytes = bytes;
    }

    /// <summary>Charges both budgets, or neither when either is spent.</summary>
    public static BufferCharge? TryTake(BufferBudget session, BufferBudget global, long bytes)
    {
        if (!session.TryTake(bytes))
        {
            return null;
        }

        if (!global.TryTake(bytes))
        {
            session.Return(bytes);
            return null;
        }

        return new BufferCharge(session, global, bytes);
    }

    /// <summary>Gives the bytes back; later calls do nothing.</summary>
    public void Release()
    {
        long bytes = Interlocked.Exchange(ref _bytes, 0);
        if (bytes > 0)
        {
            _session.Return(bytes);
            _global.Return(bytes);
        }
    }
}
