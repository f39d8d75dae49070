using System.Diagnostics;
using System.Collections.Concurrent;
using Newtonsoft.Json.Linq;
using Targetd.Qcow2;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage;

/// <summary>
/// The boards' workload: 20 targets, each cycling CLEARTARGET, ATTACH of a fresh overlay, I/O through iSCSI,
/// LIST polled at 2 Hz until the initiator is gone, CLEARTARGET, all at once for a bounded time.
/// </summary>
[Category("Interop")]
[NonParallelizable]
public sealed class Qcow2TargetWorkloadInteropTests
{
    private const int Targets = 20;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("TARGETD_WORKLOAD_SECONDS"), out int seconds) ? seconds : 45);

    [Test]
    [CancelAfter(240_000)]
    public async Task Twenty_boards_cycle_jobs_without_errors_stalls_or_growing_memory()
    {
        ExternalTool.Require("qemu-io");
        var folder = Directory.CreateTempSubdirectory("targetd-workload-");
        string disks = Path.Combine(folder.FullName, "disks");
        Directory.CreateDirectory(disks);
        try
        {
            await using (var baseImage = await Qcow2Image.CreateAsync(Path.Combine(disks, "base.qcow2"), new Qcow2CreateOptions { Size = 64L << 20 }))
            {
                await baseImage.WriteAsync(0, new byte[1 << 20].Select(_ => (byte)0x42).ToArray());
            }

            await using var daemon = await Qcow2TargetDaemon.StartAsync(folder.FullName, disks);
            var errors = new ConcurrentQueue<string>();
            var slowest = TimeSpan.Zero;
            var gate = new object();
            var cycles = new int[Targets];
            long? rssAfterFirstRound = null;
            using var stop = new CancellationTokenSource(Duration);

            async Task<JObject> TimedAsync(string type, object? command)
            {
                var watch = Stopwatch.StartNew();
                var reply = await daemon.RequestAsync(type, command);
                lock (gate)
                {
                    slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
                }

                if (!string.IsNullOrEmpty((string?)reply["error"]))
                {
                    errors.Enqueue($"{type}: {reply["error"]}");
                }

                return reply;
            }

            for (int i = 0; i < Targets; i++)
            {
                await TimedAsync("ADDTARGET", new { target_name = TargetName(i) });
            }

            var boards = Enumerable.Range(0, Targets).Select(board => Task.Run(async () =>
            {
                string target = TargetName(board);
                string overlay = Path.Combine(disks, $"job{board}.qcow2");
                while (!stop.IsCancellationRequested)
                {
                    await TimedAsync("CLEARTARGET", new { target_name = target });
                    File.Delete(overlay);
                    // As the boards make their job disks: qemu-img in its own process. (An image created in this process would
                    // hold its lock file descriptions for a moment in every child that another board forks meanwhile.)
                    var create = await ExternalTool.RunAsync("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", overlay);
                    if (create.ExitCode != 0)
                    {
                        errors.Enqueue($"{target}: qemu-img create failed: {create.StandardError}");
                    }

                    await TimedAsync("ATTACH", new { target_name = target, disk_path = Path.GetFileName(overlay) });
                    string url = $"iscsi://127.0.0.1:{daemon.Port}/{target}/0";
                    byte pattern = (byte)(board + 1);
                    var io = await ExternalTool.RunAsync("qemu-io", "-f", "raw", "-c", "read -P 0x42 0 64k", "-c", $"write -P {pattern} 2M 64k", "-c", $"read -P {pattern} 2M 64k", url);
                    if (io.ExitCode != 0)
                    {
                        errors.Enqueue($"{target}: qemu-io failed: {io.StandardOutput}{io.StandardError}");
                    }

                    for (int poll = 0; poll < 20; poll++)
                    {
                        var list = await TimedAsync("LIST", null);
                        if ((bool?)list["result"]?[target]?["has_connections"] != true)
                        {
                            break;
                        }

                        await Task.Delay(500);
                    }

                    await TimedAsync("CLEARTARGET", new { target_name = target });
                    Interlocked.Increment(ref cycles[board]);
                    if (rssAfterFirstRound is null && cycles.All(c => c >= 1))
                    {
                        GC.KeepAlive(rssAfterFirstRound ??= daemon.ResidentKilobytes());
                    }
                }
            })).ToList();

            var rssSamples = new ConcurrentQueue<long>();
            var poller = Task.Run(async () =>
            {
                int ticks = 0;
                while (!stop.IsCancellationRequested)
                {
                    await TimedAsync("LIST", null);
                    if (++ticks % 20 == 0)
                    {
                        rssSamples.Enqueue(daemon.ResidentKilobytes());
                    }

                    await Task.Delay(500);
                }
            });

            await Task.WhenAll(boards.Append(poller));
            long rssAtEnd = daemon.ResidentKilobytes();

            errors.Should().BeEmpty();
            cycles.Should().OnlyContain(c => c >= 2, "every board completed jobs");
            slowest.Should().BeLessThan(TimeSpan.FromSeconds(1), "no control request stalls");
            rssAfterFirstRound.Should().NotBeNull();
            TestContext.Out.WriteLine($"cycles: {string.Join(',', cycles)} (total {cycles.Sum()}), slowest request {slowest.TotalMilliseconds:F0} ms, RSS {rssAfterFirstRound} KiB after the first round, {rssAtEnd} KiB at the end, every 10 s: {string.Join(' ', rssSamples)}");
            rssAtEnd.Should().BeLessThan(rssAfterFirstRound!.Value + (48 * 1024), "memory does not grow across cycles");
            daemon.HasExited.Should().BeFalse();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static string TargetName(int board) => $"iqn.2008-05.com.networkoptix.ft.arms:board-{board}";
}
