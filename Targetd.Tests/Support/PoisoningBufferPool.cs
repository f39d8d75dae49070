using System.Collections.Concurrent;
using Targetd.Iscsi.Server;

namespace Targetd.Tests.Support;

/// <summary>
/// A buffer pool that proves buffers are given back only when nothing touches them any more: a returned buffer is
/// filled with <see cref="Poison"/> and kept aside; if any of its bytes change before it is rented again (a Data-Out
/// copy or a receive into a buffer already given back), or a buffer is given back twice or was never rented, that is
/// recorded in <see cref="Violations"/>. A socket that still sends a returned buffer sends poison, which the
/// initiator can see.
/// </summary>
internal sealed class PoisoningBufferPool : IoBufferPool
{
    public const byte Poison = 0xDB;

    private readonly ConcurrentDictionary<byte[], bool> _rented = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentQueue<byte[]> _returned = new();
    private readonly ConcurrentQueue<string> _violations = new();
    private long _rents;

    /// <summary>What went wrong, in the words of the check that found it.</summary>
    public IReadOnlyCollection<string> Violations => [.. _violations];

    /// <summary>Buffers rented and not yet given back.</summary>
    public int Outstanding => _rented.Count;

    public long Rents => Interlocked.Read(ref _rents);

    public override byte[] Rent(int minimumLength)
    {
        Interlocked.Increment(ref _rents);

        // A returned buffer is handed out again only after a few others were returned since, so a late writer has time
        // to be caught; every one taken is checked first.
        byte[]? buffer = null;
        if (_returned.Count > 8 && _returned.TryDequeue(out var candidate))
        {
            Check(candidate);
            if (candidate.Length >= minimumLength)
            {
                buffer = candidate;
            }
        }

        buffer ??= new byte[minimumLength];
        _rented[buffer] = true;
        return buffer;
    }

    public override void Return(byte[] buffer)
    {
        if (!_rented.TryRemove(buffer, out _))
        {
            _violations.Enqueue($"a buffer of {buffer.Length} bytes was given back twice, or was never rented");
            return;
        }

        buffer.AsSpan().Fill(Poison);
        _returned.Enqueue(buffer);
    }

    /// <summary>Checks every buffer given back and not rented again; returns <see cref="Violations"/>.</summary>
    public IReadOnlyCollection<string> Verify()
    {
        foreach (var buffer in _returned.ToArray())
        {
            Check(buffer);
        }

        return Violations;
    }

    private void Check(byte[] buffer)
    {
        int changed = buffer.AsSpan().IndexOfAnyExcept(Poison);
        if (changed >= 0)
        {
            _violations.Enqueue($"a buffer of {buffer.Length} bytes was written at offset {changed} after it was given back");
        }
    }
}
