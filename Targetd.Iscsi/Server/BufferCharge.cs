namespace Targetd.Iscsi.Server;

/// <summary>
/// What one task holds of its session's and its registry's <see cref="BufferBudget"/>: a value the task keeps in
/// itself, given back once by its owner.
/// </summary>
internal readonly struct BufferCharge
{
    private readonly BufferBudget _session;
    private readonly BufferBudget _global;
    private readonly long _bytes;

    private BufferCharge(BufferBudget session, BufferBudget global, long bytes)
    {
        _session = session;
        _global = global;
        _bytes = bytes;
    }

    /// <summary>Charges both budgets, or neither (false) when either is spent.</summary>
    public static bool TryTake(BufferBudget session, BufferBudget global, long bytes, out BufferCharge charge)
    {
        charge = default;
        if (!session.TryTake(bytes))
        {
            return false;
        }

        if (!global.TryTake(bytes))
        {
            session.Return(bytes);
            return false;
        }

        charge = new BufferCharge(session, global, bytes);
        return true;
    }

    /// <summary>Gives the bytes back; the owner calls it once. The default charge holds nothing.</summary>
    public void Release()
    {
        if (_bytes > 0)
        {
            _session.Return(_bytes);
            _global.Return(_bytes);
        }
    }
}
