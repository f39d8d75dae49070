using System.Runtime.InteropServices;

namespace Targetd.Storage.Pools.Rbd.Native;

/// <summary>
/// A RADOS watch on one object (rados_watch2), kept up in the background. Every notify runs the handler on the
/// thread pool and is acknowledged (rados_notify_ack) only once the handler's task has completed, so the notifier's
/// rados_notify2 returns after this gateway acted. When the watch breaks (the error callback: this client was
/// disconnected or its watch timed out on the OSD) it is torn down, set up again, and the handler runs once, since a
/// notify may have been missed.
/// </summary>
/// <remarks>
/// The GCHandle that librados's callbacks carry is freed only after rados_unwatch2 and rados_watch_flush, which
/// waits for callbacks in progress: no callback sees a freed handle. The connection is held (a handle reference)
/// until then.
/// </remarks>
internal sealed class RadosWatch : IDisposable
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly RadosHandle _handle;
    private readonly HandleUse _use;
    private readonly string _oid;
    private readonly Func<CancellationToken, ValueTask> _changed;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationToken _stopped;
    private readonly Lock _gate = new();
    private GCHandle _self;
    private ulong _cookie;
    private bool _registering;
    private bool _disposed;

    private RadosWatch(RadosHandle handle, string oid, Func<CancellationToken, ValueTask> changed)
    {
        _use = new HandleUse(handle);
        _handle = handle;
        _oid = oid;
        _changed = changed;
        _stopped = _stopping.Token;
        _self = GCHandle.Alloc(this);
    }

    /// <summary>Whether the watch is registered with the cluster now.</summary>
    public bool IsWatching
    {
        get
        {
            lock (_gate)
            {
                return _cookie != 0;
            }
        }
    }

    /// <summary>Starts watching <paramref name="oid"/> (created empty when missing) in the background.</summary>
    public static RadosWatch Start(RadosHandle handle, string oid, Func<CancellationToken, ValueTask> changed)
    {
        var watch = new RadosWatch(handle, oid, changed);
        _ = watch.KeepUpAsync(brokenCookie: 0, runHandler: false);
        return watch;
    }

    public void Dispose()
    {
        ulong cookie;
        bool registering;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            cookie = _cookie;
            _cookie = 0;
            registering = _registering;
        }

        _stopping.Cancel();
        if (cookie != 0)
        {
            _ = LibRados.Unwatch2(_handle.IoContext, cookie);
        }

        if (!registering)
        {
            Release();
        }
    }

    [UnmanagedCallersOnly]
    private static void OnNotify(nint argument, ulong notifyId, ulong cookie, ulong notifierId, nint data, nuint length)
    {
        if (GCHandle.FromIntPtr(argument).Target is RadosWatch watch)
        {
            _ = Task.Run(() => watch.HandleNotifyAsync(notifyId, cookie));
        }
    }

    [UnmanagedCallersOnly]
    private static void OnError(nint argument, ulong cookie, int error)
    {
        if (GCHandle.FromIntPtr(argument).Target is RadosWatch watch)
        {
            _ = Task.Run(() => watch.KeepUpAsync(cookie, runHandler: true));
        }
    }

    /// <summary>Runs the handler, then acknowledges; a handler that failed leaves the notify unacknowledged (the notifier times out).</summary>
    private async Task HandleNotifyAsync(ulong notifyId, ulong cookie)
    {
        try
        {
            _stopped.ThrowIfCancellationRequested();
            await _changed(_stopped).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidDataException)
        {
            return;
        }

        Acknowledge(notifyId, cookie);
    }

    private unsafe void Acknowledge(ulong notifyId, ulong cookie)
    {
        lock (_gate)
        {
            // rados_notify_ack only queues the acknowledgement; holding the lock keeps the connection from being
            // released under it.
            if (!_disposed)
            {
                _ = LibRados.NotifyAck(_handle.IoContext, _oid, notifyId, cookie, null, 0);
            }
        }
    }

    /// <summary>Sets the watch up (again after <paramref name="brokenCookie"/> broke), retrying until it holds or the watch is disposed.</summary>
    private async Task KeepUpAsync(ulong brokenCookie, bool runHandler)
    {
        if (brokenCookie != 0)
        {
            lock (_gate)
            {
                if (_disposed || _cookie != brokenCookie)
                {
                    return;
                }

                _cookie = 0;
            }

            // librados: a watch that reported an error is torn down before it is set up again.
            await RbdBlocking.RunAsync(() => LibRados.Unwatch2(_handle.IoContext, brokenCookie), CancellationToken.None).ConfigureAwait(false);
        }

        try
        {
            while (!await RbdBlocking.RunAsync(Register, _stopped).ConfigureAwait(false))
            {
                await Task.Delay(RetryDelay, _stopped).ConfigureAwait(false);
            }

            if (runHandler && !_stopped.IsCancellationRequested)
            {
                await _changed(_stopped).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidDataException)
        {
            // Disposed, or the handler could not read the state: the next command reads it anyway.
        }
    }

    /// <summary>One attempt: creates the object when missing and registers the watch. False when the cluster refused.</summary>
    private unsafe bool Register()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return true;
            }

            _registering = true;
        }

        ulong cookie = 0;
        int result = EnsureObject();
        if (result >= 0)
        {
            result = LibRados.Watch2(_handle.IoContext, _oid, out cookie, &OnNotify, &OnError, GCHandle.ToIntPtr(_self));
        }

        lock (_gate)
        {
            _registering = false;
            if (!_disposed)
            {
                if (result >= 0)
                {
                    _cookie = cookie;
                }

                return result >= 0;
            }
        }

        // Disposed while registering: undo and release here, as Dispose left it to this call.
        if (result >= 0)
        {
            _ = LibRados.Unwatch2(_handle.IoContext, cookie);
        }

        Release();
        return true;
    }

    /// <summary>A watched object must exist: created when missing, left as it is otherwise (not exclusive).</summary>
    private unsafe int EnsureObject()
    {
        nint op = LibRados.CreateWriteOp();
        try
        {
            LibRados.WriteOpCreate(op, 0, null);
            return LibRados.WriteOpOperate(op, _handle.IoContext, _oid, null, 0);
        }
        finally
        {
            LibRados.ReleaseWriteOp(op);
        }
    }

    private void Release()
    {
        _ = LibRados.WatchFlush(_handle.DangerousGetHandle());
        if (_self.IsAllocated)
        {
            _self.Free();
        }

        _use.Dispose();
        _stopping.Dispose();
    }
}
