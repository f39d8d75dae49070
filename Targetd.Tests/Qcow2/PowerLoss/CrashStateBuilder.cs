namespace Targetd.Tests.Qcow2.PowerLoss;

/// <summary>
/// Builds the states a power cut can leave from a <see cref="WriteLog"/>, as CrashMonkey does: a flush is a
/// barrier, writes between two barriers reach the disk in any subset and any order, and a write may be torn at
/// 512-byte sector boundaries.
/// </summary>
internal static class CrashStateBuilder
{
    private const int Sector = 512;

    /// <summary>
    /// Every flush point (everything up to that flush persisted, plus the whole log), then
    /// <paramref name="randomStates"/> states that persist every epoch before a random one and a random subset
    /// of that epoch's writes, reordered, one in three with a torn write.
    /// </summary>
    public static List<CrashState> Build(IReadOnlyList<LogEntry> log, int randomStates, Random random)
    {
        var writes = new List<LogEntry>();
        var epochs = new List<List<int>> { new() };
        var marks = new List<(int WritesBefore, int Mark)>();
        foreach (var entry in log)
        {
            switch (entry.Operation)
            {
                case LogOperation.Write:
                    epochs[^1].Add(writes.Count);
                    writes.Add(entry);
                    break;
                case LogOperation.Flush when epochs[^1].Count > 0:
                    epochs.Add([]);
                    break;
                case LogOperation.Mark:
                    marks.Add((writes.Count, entry.Mark));
                    break;
            }
        }

        int Guaranteed(int firstMissing) => marks.LastOrDefault(m => m.WritesBefore <= firstMissing, (WritesBefore: 0, Mark: -1)).Mark;

        var states = new List<CrashState>();
        for (int epoch = 0; epoch < epochs.Count; epoch++)
        {
            int end = epoch == epochs.Count - 1 ? writes.Count : epochs[epoch + 1].FirstOrDefault(writes.Count);
            var persisted = Enumerable.Range(0, end).Select(i => new PendingWrite(writes[i].Offset, writes[i].Data)).ToList();
            states.Add(new CrashState($"flush point {epoch} of {epochs.Count} ({end} of {writes.Count} writes)", persisted, Guaranteed(end)));
        }

        var candidates = Enumerable.Range(0, epochs.Count).Where(e => epochs[e].Count > 0).ToList();
        for (int n = 0; n < randomStates && candidates.Count > 0; n++)
        {
            int epoch = candidates[random.Next(candidates.Count)];
            var inEpoch = epochs[epoch];
            int first = inEpoch[0];
            double keep = random.NextDouble();
            var kept = inEpoch.Where(_ => random.NextDouble() < keep).ToList();
            Shuffle(kept, random);
            int firstMissing = inEpoch.FirstOrDefault(i => !kept.Contains(i), inEpoch[^1] + 1);
            var persisted = Enumerable.Range(0, first).Select(i => new PendingWrite(writes[i].Offset, writes[i].Data)).ToList();
            string torn = string.Empty;
            int tear = random.Next(3) == 0 && kept.Count > 0 ? random.Next(kept.Count) : -1;
            for (int k = 0; k < kept.Count; k++)
            {
                var write = writes[kept[k]];
                if (k == tear && Tear(write, random) is { } pieces)
                {
                    persisted.AddRange(pieces);
                    torn = $", write {kept[k]} torn to {pieces.Count} sector piece(s)";
                    firstMissing = Math.Min(firstMissing, kept[k]);
                    continue;
                }

                persisted.Add(new PendingWrite(write.Offset, write.Data));
            }

            string description = $"random state {n}: epoch {epoch} of {epochs.Count}, writes {first}..{inEpoch[^1]}, kept [{string.Join(',', kept)}]{torn}";
            states.Add(new CrashState(description, persisted, Guaranteed(firstMissing)));
        }

        return states;
    }

    /// <summary>A random proper, non-empty subset of a write's sector pieces; null when it lies in one sector.</summary>
    private static List<PendingWrite>? Tear(LogEntry write, Random random)
    {
        var pieces = new List<PendingWrite>();
        long offset = write.Offset;
        long end = write.Offset + write.Data.Length;
        while (offset < end)
        {
            long next = Math.Min(end, (offset / Sector * Sector) + Sector);
            pieces.Add(new PendingWrite(offset, write.Data.AsMemory((int)(offset - write.Offset), (int)(next - offset))));
            offset = next;
        }

        if (pieces.Count < 2)
        {
            return null;
        }

        int keep = random.Next(1, pieces.Count);
        return random.Next(2) == 0 ? pieces[..keep] : pieces.OrderBy(_ => random.Next()).Take(keep).ToList();
    }

    private static void Shuffle(List<int> items, Random random)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
