using System.Globalization;
using System.Text;
using Targetd.Tests.CrashWriter;

namespace Targetd.Tests.Qcow2;

/// <summary>
/// What an image may hold after the crash writer was killed: every 512-byte sector holds what the replayed
/// workload left there up to the last acknowledged flush, unless an operation issued after that flush touched
/// it, in which case it may also hold the state after any of those later operations (old or new).
/// </summary>
internal sealed class CrashExpectation
{
    private const int Sector = 512;
    private readonly byte[] _durable;
    private readonly Dictionary<long, List<byte[]>> _undetermined = [];
    private readonly List<CrashOperation> _operations;
    private readonly int _lastFlushed;

    private CrashExpectation(byte[] durable, List<CrashOperation> operations, int lastFlushed)
    {
        _durable = durable;
        _operations = operations;
        _lastFlushed = lastFlushed;
    }

    /// <summary>The content as of the last acknowledged flush.</summary>
    public byte[] Durable => _durable;

    /// <summary>Sectors that operations after the last flush touched.</summary>
    public int UndeterminedSectors => _undetermined.Count;

    /// <param name="baseline">The image's content before the writer started.</param>
    /// <param name="seed">The writer's workload seed.</param>
    /// <param name="lastFlushed">The last operation a printed flush covered, or -1.</param>
    /// <param name="lastIssued">The last operation the writer may have issued.</param>
    public static CrashExpectation Build(byte[] baseline, int seed, int lastFlushed, int lastIssued)
    {
        var operations = CrashWorkload.Generate(seed, baseline.Length).Take(lastIssued + 1).ToList();
        var durable = (byte[])baseline.Clone();
        foreach (var operation in operations.Where(o => o.Index <= lastFlushed))
        {
            operation.Fill(durable.AsSpan((int)operation.Offset, operation.Length));
        }

        var expectation = new CrashExpectation(durable, operations, lastFlushed);
        var running = (byte[])durable.Clone();
        foreach (var operation in operations.Where(o => o.Index > lastFlushed))
        {
            operation.Fill(running.AsSpan((int)operation.Offset, operation.Length));
            var (start, end) = operation.Sectors;
            for (long sector = start; sector < end; sector += Sector)
            {
                if (!expectation._undetermined.TryGetValue(sector, out var states))
                {
                    states = [];
                    expectation._undetermined[sector] = states;
                }

                states.Add(running.AsSpan((int)sector, Sector).ToArray());
            }
        }

        return expectation;
    }

    /// <summary>Describes every sector of <paramref name="actual"/> that is neither the flushed nor a later state; empty when none.</summary>
    public string Mismatches(byte[] actual, byte[] baseline)
    {
        var report = new StringBuilder();
        int count = 0;
        for (long sector = 0; sector < _durable.Length; sector += Sector)
        {
            var got = actual.AsSpan((int)sector, Sector);
            if (got.SequenceEqual(_durable.AsSpan((int)sector, Sector)))
            {
                continue;
            }

            if (_undetermined.TryGetValue(sector, out var states) && Contains(states, got))
            {
                continue;
            }

            if (++count <= 8)
            {
                report.AppendLine(Describe(sector, got.ToArray(), baseline));
            }
        }

        if (count > 8)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"... {count} sectors in all");
        }

        return report.ToString();
    }

    private static bool Contains(List<byte[]> states, ReadOnlySpan<byte> got)
    {
        foreach (var state in states)
        {
            if (got.SequenceEqual(state))
            {
                return true;
            }
        }

        return false;
    }

    private string Describe(long sector, byte[] got, byte[] baseline)
    {
        var touching = _operations.Where(o => o.Offset < sector + Sector && sector < o.End).ToList();
        var lastDurable = touching.LastOrDefault(o => o.Index <= _lastFlushed);
        var verdict = got.AsSpan().IndexOfAnyExcept((byte)0) < 0 ? "zeroes"
            : got.AsSpan().SequenceEqual(baseline.AsSpan((int)sector, Sector)) ? "the content before this round"
            : touching.FirstOrDefault(o => o.Kind == CrashOperationKind.Write && Holds(o, sector, got)) is { Length: > 0 } from ? $"data of operation {from.Index}"
            : "unknown bytes";
        return $"sector at {sector} (cluster of 64K {sector >> 16}) holds {verdict}; last flushed operation on it: "
            + (lastDurable.Length > 0 ? $"{lastDurable.Index} {lastDurable.Kind} [{lastDurable.Offset}, {lastDurable.End})" : "none")
            + $"; later operations: {string.Join(", ", touching.Where(o => o.Index > _lastFlushed).Select(o => $"{o.Index} {o.Kind}"))}";
    }

    private static bool Holds(CrashOperation operation, long sector, ReadOnlySpan<byte> got)
    {
        var data = new byte[operation.Length];
        operation.Fill(data);
        long from = Math.Max(sector, operation.Offset);
        long to = Math.Min(sector + Sector, operation.End);
        return got[(int)(from - sector)..(int)(to - sector)].SequenceEqual(data.AsSpan((int)(from - operation.Offset), (int)(to - from)));
    }
}
