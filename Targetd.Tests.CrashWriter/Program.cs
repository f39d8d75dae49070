using System.Globalization;
using Targetd.Qcow2;

namespace Targetd.Tests.CrashWriter;

/// <summary>
/// <c>Targetd.Tests.CrashWriter IMAGE SEED FLUSH_EVERY DEPTH CACHE_BYTES MAX_OPERATIONS</c>: opens an existing
/// qcow2 image and runs the seeded <see cref="CrashWorkload"/> on it, DEPTH operations in flight (never two on
/// the same 512-byte sector). After every FLUSH_EVERY operations it waits for them, flushes the image and only
/// then prints <c>flushed INDEX</c> (the last operation the flush covers). The crash test kills it at random.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 6)
        {
            await Console.Error.WriteLineAsync("usage: Targetd.Tests.CrashWriter IMAGE SEED FLUSH_EVERY DEPTH CACHE_BYTES MAX_OPERATIONS").ConfigureAwait(false);
            return 2;
        }

        string path = args[0];
        int seed = int.Parse(args[1], CultureInfo.InvariantCulture);
        int flushEvery = int.Parse(args[2], CultureInfo.InvariantCulture);
        int depth = int.Parse(args[3], CultureInfo.InvariantCulture);
        long cacheBytes = long.Parse(args[4], CultureInfo.InvariantCulture);
        int maxOperations = int.Parse(args[5], CultureInfo.InvariantCulture);

        using var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        var options = new Qcow2OpenOptions { MetadataCacheBytes = cacheBytes > 0 ? cacheBytes : Qcow2OpenOptions.DefaultMetadataCacheBytes };
        await using var image = await Qcow2Image.OpenAsync(path, options).ConfigureAwait(false);
        await output.WriteLineAsync("opened").ConfigureAwait(false);

        var inFlight = new List<(Task Task, long Start, long End)>();
        foreach (var operation in CrashWorkload.Generate(seed, image.Length).Take(maxOperations))
        {
            var (start, end) = operation.Sectors;
            foreach (var overlapping in inFlight.Where(f => start < f.End && f.Start < end).ToList())
            {
                await overlapping.Task.ConfigureAwait(false);
                inFlight.Remove(overlapping);
            }

            while (inFlight.Count >= depth)
            {
                var done = await Task.WhenAny(inFlight.Select(f => f.Task)).ConfigureAwait(false);
                await done.ConfigureAwait(false);
                inFlight.RemoveAll(f => f.Task == done);
            }

            inFlight.Add((RunAsync(image, operation), start, end));
            if ((operation.Index + 1) % flushEvery == 0)
            {
                await Task.WhenAll(inFlight.Select(f => f.Task)).ConfigureAwait(false);
                inFlight.Clear();
                await image.FlushAsync().ConfigureAwait(false);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"flushed {operation.Index}")).ConfigureAwait(false);
            }
        }

        await Task.WhenAll(inFlight.Select(f => f.Task)).ConfigureAwait(false);
        await image.FlushAsync().ConfigureAwait(false);
        await output.WriteLineAsync("done").ConfigureAwait(false);
        return 0;
    }

    private static async Task RunAsync(Qcow2Image image, CrashOperation operation)
    {
        // Start every operation on the thread pool so that several really are in flight at once.
        await Task.Yield();
        switch (operation.Kind)
        {
            case CrashOperationKind.Write:
                var data = new byte[operation.Length];
                operation.Fill(data);
                await image.WriteAsync(operation.Offset, data).ConfigureAwait(false);
                break;
            case CrashOperationKind.WriteZeroes:
                await image.WriteZeroesAsync(operation.Offset, operation.Length).ConfigureAwait(false);
                break;
            default:
                await image.DiscardAsync(operation.Offset, operation.Length).ConfigureAwait(false);
                break;
        }
    }
}
