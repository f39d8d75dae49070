namespace Targetd.Iscsi.Server;

/// <summary>
/// The CDB buffers and cancellation sources of tasks that have ended, kept for the tasks that follow, so that a command
/// costs neither. A cancellation source comes back only if it was never cancelled; each stack keeps a bounded number.
/// </summary>
internal static class TaskResourcePool
{
    /// <summary>The size of a CDB in the Basic Header Segment (RFC 7143 §11.3.5).</summary>
    public const int CdbLength = 16;

    private const int Capacity = 1024;

    private static readonly Stack<byte[]> Cdbs = new();
    private static readonly Stack<CancellationTokenSource> Cancellations = new();

    /// <summary>A <see cref="CdbLength"/>-byte buffer, whatever a previous task left in it.</summary>
    public static byte[] RentCdb()
    {
        lock (Cdbs)
        {
            if (Cdbs.TryPop(out var cdb))
            {
                return cdb;
            }
        }

        return new byte[CdbLength];
    }

    /// <summary>Takes back a buffer from <see cref="RentCdb"/> that nothing reads any more.</summary>
    public static void ReturnCdb(byte[] cdb)
    {
        lock (Cdbs)
        {
            if (Cdbs.Count < Capacity)
            {
                Cdbs.Push(cdb);
            }
        }
    }

    /// <summary>A cancellation source that is not cancelled and has no registrations.</summary>
    public static CancellationTokenSource RentCancellation()
    {
        lock (Cancellations)
        {
            if (Cancellations.TryPop(out var source))
            {
                return source;
            }
        }

        return new CancellationTokenSource();
    }

    /// <summary>
    /// Takes back a source that nobody cancels or watches any more: kept if it can be reset (it was never cancelled),
    /// disposed otherwise.
    /// </summary>
    public static void ReturnCancellation(CancellationTokenSource source)
    {
        if (source.TryReset())
        {
            lock (Cancellations)
            {
                if (Cancellations.Count < Capacity)
                {
                    Cancellations.Push(source);
                    return;
                }
            }
        }

        source.Dispose();
    }
}
