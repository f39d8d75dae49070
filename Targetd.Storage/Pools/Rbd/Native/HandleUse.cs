namespace Targetd.Storage.Pools.Rbd.Native;

/// <summary>A reference on the connection for the time of a call or of an open image.</summary>
internal sealed class HandleUse : IDisposable
{
    private readonly RadosHandle _handle;
    private int _released;

    public HandleUse(RadosHandle handle)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        _handle = handle;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _handle.DangerousRelease();
        }
    }
}
