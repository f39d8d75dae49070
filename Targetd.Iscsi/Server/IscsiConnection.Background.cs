namespace Targetd.Iscsi.Server;

/// <content>Work that runs beside the read loop (commands, task management, the keepalive), awaited before the connection closes.</content>
internal sealed partial class IscsiConnection
{
    /// <summary>How many pieces of background work are registered: none once the connection is idle and its checks are off.</summary>
    internal int BackgroundCount => _background.Count;

    /// <summary>Runs work on the thread pool beside the read loop; every such task is awaited before the connection closes.</summary>
    private void RunInBackground(Func<Task> work)
    {
        long id = ReserveBackground();
        Track(id, Task.Run(() => TrackAsync(work, id)));
    }

    /// <summary>
    /// Takes an entry among the background work before the work starts, so that the work's own removal when it ends
    /// can never come before its registration and leave a finished task behind.
    /// </summary>
    private long ReserveBackground()
    {
        long id = Interlocked.Increment(ref _nextBackground);
        _background[id] = Task.CompletedTask;
        return id;
    }

    /// <summary>Records the task of reserved work, unless the work has already ended and removed its entry.</summary>
    private void Track(long id, Task task)
    {
        if (!task.IsCompleted)
        {
            _background.TryUpdate(id, task, Task.CompletedTask);
        }
    }

    private async Task TrackAsync(Func<Task> work, long id)
    {
        try
        {
            await work().ConfigureAwait(false);
        }
        finally
        {
            _background.TryRemove(id, out _);
        }
    }
}
