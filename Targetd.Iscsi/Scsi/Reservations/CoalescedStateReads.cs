using Targetd.Core.BlockDevices;

namespace Targetd.Iscsi.Scsi.Reservations;

/// <summary>
/// Reads of a shared state that the commands arriving together share. A command joins the next read to start, never
/// one already under way (that one may have been answered before a change the command must see), so each command is
/// decided on a state read after it arrived, while a device with many commands in flight keeps at most two reads
/// outstanding rather than one per command.
/// </summary>
internal sealed class CoalescedStateReads(ISharedDeviceState shared)
{
    private readonly Lock _gate = new();
    private TaskCompletionSource<SharedStateValue>? _next;
    private bool _reading;
    private long _reads;

    /// <summary>How many reads reached the shared state.</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>The state as read by a read that starts no earlier than this call.</summary>
    /// <exception cref="IOException">The state cannot be reached.</exception>
    public Task<SharedStateValue> ReadAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<SharedStateValue> next;
        bool start = false;
        lock (_gate)
        {
            next = _next ??= new TaskCompletionSource<SharedStateValue>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_reading)
            {
                _reading = true;
                start = true;
            }
        }

        if (start)
        {
            _ = RunAsync();
        }

        return next.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Starts the waiting read, and the next one that commands joined meanwhile, until none is waiting.</summary>
    private async Task RunAsync()
    {
        while (true)
        {
            TaskCompletionSource<SharedStateValue> current;
            lock (_gate)
            {
                if (_next is null)
                {
                    _reading = false;
                    return;
                }

                current = _next;
                _next = null;
            }

            Interlocked.Increment(ref _reads);
            try
            {
                current.SetResult(await shared.ReadStateAsync(CancellationToken.None).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                current.SetException(ex);
            }
        }
    }
}
