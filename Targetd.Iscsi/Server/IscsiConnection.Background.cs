namespace Targetd.Iscsi.Server;

/// <content>Work that runs beside the read loop (commands, task management, the keepalive), awaited before the connection closes.</content>
internal sealed partial class IscsiConnection
{
    /// <summary>Commands executing; the connection waits for none to be left before it closes.</summary>
    private int _executions;

    /// <summary>Made when the connection closes with commands executing; completed by the last of them to end.</summary>
    private TaskCompletionSource? _executionsEnded;

    /// <summary>
    /// How many pieces of background work are registered, executing commands included: none once the connection is
    /// idle and its checks are off.
    /// </summary>
    internal int BackgroundCount => _background.Count + Volatile.Read(ref _executions);

    /// <summary>
    /// Counts a command's execution before it starts. Executions are counted rather than registered among the
    /// background work, so that a command costs no entry of its own.
    /// </summary>
    private void BeginExecution() => Interlocked.Increment(ref _executions);

    /// <summary>Ends a command's execution; the last one to end while the connection closes releases the wait for them.</summary>
    private void EndExecution()
    {
        if (Interlocked.Decrement(ref _executions) == 0)
        {
            Volatile.Read(ref _executionsEnded)?.TrySetResult();
        }
    }

    /// <summary>Waits until no command executes; called once the read loop has ended, so that none starts any more.</summary>
    private Task ExecutionsEndedAsync()
    {
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _executionsEnded, ended);

        // An execution that ended before the source was published may have missed it: look at the count after publishing.
        if (Volatile.Read(ref _executions) == 0)
        {
            ended.TrySetResult();
        }

        return ended.Task;
    }

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
