namespace Targetd.Tests.Storage.Rbd;

/// <summary>Runs an action once when disposed.</summary>
internal sealed class Unwatch(Action action) : IDisposable
{
    private int _done;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            action();
        }
    }
}
