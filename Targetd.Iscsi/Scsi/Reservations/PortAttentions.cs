namespace Targetd.Iscsi.Scsi.Reservations;

/// <summary>
/// Unit attentions established for initiator ports rather than for every I_T nexus (SAM-5 §5.14): the ones
/// reservations raise. Each port reports its own in the order they were established.
/// </summary>
internal sealed class PortAttentions
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<SenseData>> _pending = new(StringComparer.Ordinal);
    private volatile int _count;

    /// <summary>Establishes a unit attention for each port given.</summary>
    public void Establish(IEnumerable<string> ports, SenseData sense)
    {
        lock (_gate)
        {
            foreach (string port in ports)
            {
                if (!_pending.TryGetValue(port, out var queue))
                {
                    queue = new Queue<SenseData>();
                    _pending[port] = queue;
                }

                // SAM-5 §5.14: a condition already queued for the port is not queued twice.
                if (!queue.Contains(sense))
                {
                    queue.Enqueue(sense);
                    _count++;
                }
            }
        }
    }

    /// <summary>Takes the oldest unit attention pending for a port, if any.</summary>
    public SenseData? Take(string port)
    {
        if (_count == 0)
        {
            return null;
        }

        lock (_gate)
        {
            if (!_pending.TryGetValue(port, out var queue) || !queue.TryDequeue(out var sense))
            {
                return null;
            }

            _count--;
            if (queue.Count == 0)
            {
                _pending.Remove(port);
            }

            return sense;
        }
    }

    /// <summary>Takes every pending unit attention, port by port, in the order each port would have reported them.</summary>
    public IReadOnlyList<(string Port, SenseData Sense)> TakeAll()
    {
        lock (_gate)
        {
            var all = _pending.SelectMany(p => p.Value.Select(sense => (p.Key, sense))).ToArray();
            _pending.Clear();
            _count = 0;
            return all;
        }
    }
}
