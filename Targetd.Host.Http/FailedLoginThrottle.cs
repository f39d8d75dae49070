using System.Collections.Concurrent;
using System.Net;

namespace Targetd.Host.Http;

/// <summary>
/// Slows password guessing: failed logins from one client address are answered one at a time, each after a
/// delay; other addresses and correct logins are not held up.
/// </summary>
internal sealed class FailedLoginThrottle(TimeSpan delay)
{
    private readonly ConcurrentDictionary<IPAddress, SemaphoreSlim> _gates = new();

    public async Task DelayAsync(IPAddress? client, CancellationToken cancellationToken)
    {
        var gate = _gates.GetOrAdd(client ?? IPAddress.None, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }
}
