namespace Targetd.Storage.Pools.Rbd;

/// <summary>
/// Runs a blocking librados/librbd call (connect, create, remove, flatten, diff iterate, close) on a thread
/// of its own, so no thread-pool thread waits on the cluster.
/// </summary>
internal static class RbdBlocking
{
    public static Task<T> RunAsync<T>(Func<T> call, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(call, cancellationToken, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);

    public static Task RunAsync(Action call, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(call, cancellationToken, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
}
