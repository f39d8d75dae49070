using System.Net;

namespace Targetd.Host.Http;

/// <summary>
/// Slows password guessing: failed logins from one client address are answered one at a time, each after a
/// delay; other addresses and correct logins are not held up. An address is tracked only while one of its failed
/// logins waits, so clients that come and go leave nothing behind.
/// </summary>
internal sealed class FailedLoginThrottle(TimeSpan delay)
{
    private readonly Dictionary<IPAddress, Gate> _gates = [];
    private readonly Lock _lock = new();

    /// <summary>How many client addresses have a failed login waiting now.</summary>
    public int TrackedAddresses
    {
        get
        {
            lock (_lock)
            {
                return _gates.Count;
            }
        }
    }

    public async Task DelayAsync(IPAddress? client, CancellationToken cancellationToken)
    {
        var address = client ?? IPAddress.None;
        Gate gate;
        lock (_lock)
        {
            if (!_gates.TryGetValue(address, out gate!))
            {
                gate = new Gate();
                _gates[address] = gate;
            }

            gate.Users++;
        }

        try
        {
            await gate.Turn.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Turn.Release();
            }
        }
        finally
        {
            lock (_lock)
            {
                if (--gate.Users == 0)
                {
                    _gates.Remove(address);
                    gate.Turn.Dispose();
                }
            }
        }
    }

    /// <summary>One address's turn, and how many of its failed logins hold it.</summary>
    private sealed class Gate
    {
        public SemaphoreSlim Turn { get; } = new(1, 1);

        public int Users { get; set; }
    }
}
