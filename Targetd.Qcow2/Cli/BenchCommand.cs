using System.Diagnostics;
using System.Globalization;
using Targetd.Core.BlockDevices;

namespace Targetd.Qcow2.Cli;

/// <summary>
/// <c>bench [-c COUNT] [-d DEPTH] [-s SIZE] [-S STEP] [-o OFFSET] [-w] [--pattern=N] [--flush-interval=N] FILE</c>,
/// as qemu-img bench: COUNT requests of SIZE bytes, DEPTH in flight, at offsets that advance by STEP and wrap at
/// the image end. I/O goes through the page cache (<c>-t writeback</c>, <c>-i threads</c>); other modes are refused.
/// </summary>
internal static class BenchCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var parsed = CliArguments.Parse(
            args,
            new HashSet<string> { "-c", "-d", "-s", "-S", "-o", "-f", "-t", "-i", "--pattern", "--flush-interval" },
            new HashSet<string> { "-w", "-q", "-U" });
        string path = ImageTool.Single(parsed, "bench");
        int count = parsed.GetInt("-c", 75000);
        int depth = Math.Max(1, parsed.GetInt("-d", 64));
        long size = CliArguments.ParseSize(parsed.Get("-s") ?? "4096");
        long step = parsed.Get("-S") is { } s ? CliArguments.ParseSize(s) : size;
        long offset = parsed.Get("-o") is { } o ? CliArguments.ParseSize(o) : 0;
        bool write = parsed.Has("-w");
        byte pattern = (byte)parsed.GetInt("--pattern", 0);
        int flushInterval = parsed.GetInt("--flush-interval", 0);
        if (parsed.Get("-t") is { } cache && cache is not ("writeback" or "unsafe"))
        {
            throw new CliException($"Cache mode '{cache}' is not supported here (the page cache is always used; use writeback)");
        }

        if (parsed.Get("-i") is { } aio && aio != "threads")
        {
            throw new CliException($"AIO mode '{aio}' is not supported here (use threads)");
        }

        if (flushInterval > 0 && !write)
        {
            throw new CliException("--flush-interval is only available in write tests");
        }
        bool isQcow2 = parsed.Get("-f") switch
        {
            "qcow2" => true,
            "raw" => false,
            null => await Qcow2Image.IsQcow2Async(path, cancellationToken).ConfigureAwait(false),
            var other => throw new CliException($"Unknown format '{other}'"),
        };

        await using IBlockDevice device = isQcow2
            ? await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { ReadOnly = !write }, cancellationToken).ConfigureAwait(false)
            : FileBlockDevice.Open(path, new FileBlockDeviceOptions { ReadOnly = !write });
        if (size <= 0 || size > device.Length || size > int.MaxValue)
        {
            throw new CliException($"Invalid buffer size {size}");
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Sending {count} {(write ? "write" : "read")} requests, {size} bytes each, {depth} in parallel (starting at offset {offset}, step size {step})")).ConfigureAwait(false);
        long next = offset;
        int issued = 0;
        var gate = new object();
        var stopwatch = Stopwatch.StartNew();
        while (issued < count)
        {
            // Requests run `depth` at a time; with --flush-interval a flush follows every N requests once they have drained.
            int batch = flushInterval > 0 ? Math.Min(flushInterval, count - issued) : count - issued;
            int batchEnd = issued + batch;
            var workers = Enumerable.Range(0, depth).Select(async _ =>
            {
                var buffer = new byte[size];
                buffer.AsSpan().Fill(pattern);
                while (true)
                {
                    long at;
                    lock (gate)
                    {
                        if (issued == batchEnd)
                        {
                            return;
                        }

                        issued++;
                        if (next + size > device.Length)
                        {
                            next = 0;
                        }

                        at = next;
                        next = (next + step) % device.Length;
                    }

                    if (write)
                    {
                        await device.WriteAsync(at, buffer, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await device.ReadAsync(at, buffer, cancellationToken).ConfigureAwait(false);
                    }
                }
            }).ToList();
            await Task.WhenAll(workers).ConfigureAwait(false);
            if (flushInterval > 0)
            {
                await device.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        stopwatch.Stop();
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Run completed in {stopwatch.Elapsed.TotalSeconds:F3} seconds.")).ConfigureAwait(false);
        return 0;
    }
}
