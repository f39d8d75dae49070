using System.Buffers.Binary;
using Targetd.Qcow2;
using Targetd.Tests.Support;

namespace Targetd.Tests.Qcow2.PowerLoss;

/// <summary>
/// Runs a <see cref="PowerLossScenario"/> over a <see cref="WriteLog"/>, builds its crash states and checks each:
/// the image opens with our engine, whose check finds no corruption (leaks are repaired; an image left dirty by
/// lazy refcounts has its refcounts rebuilt, as QEMU does), optionally <c>qemu-img check</c> finds none either,
/// and the guest reads every sector as the last flush the state fully holds left it, or as a later write did.
/// </summary>
internal static class PowerLossRunner
{
    private const string BackingName = "backing.raw";

    public static async Task<PowerLossReport> RunAsync(PowerLossScenario scenario, string directory, int randomStates, int seed, bool withQemu)
    {
        var random = new Random(seed);
        string image = Path.Combine(directory, "image.qcow2");
        var options = scenario.Options;
        if (scenario.Backing)
        {
            var content = new byte[options.Size ?? throw new ArgumentException("A scenario gives the size.", nameof(scenario))];
            random.NextBytes(content);
            await File.WriteAllBytesAsync(Path.Combine(directory, BackingName), content);
            options = options with { Size = null, BackingFile = BackingName, BackingFormat = Qcow2BackingFormat.Raw };
        }

        await (await Qcow2Image.CreateAsync(image, options)).DisposeAsync();
        byte[] before = await File.ReadAllBytesAsync(image);
        var beneath = scenario.Backing ? await File.ReadAllBytesAsync(Path.Combine(directory, BackingName)) : new byte[options.Size!.Value];
        var model = new GuestModel(beneath);
        var log = new WriteLog();
        await using (var opened = await Qcow2Image.OpenAsync(image, new Qcow2OpenOptions { Tap = log, MetadataCacheBytes = scenario.CacheBytes }))
        {
            await scenario.Run(new PowerLossWorkload(opened, model, log, random));
        }

        var states = CrashStateBuilder.Build(log.Entries, randomStates, random);
        var failures = new List<string>();
        string statePath = Path.Combine(directory, "state.qcow2");
        foreach (var state in states)
        {
            state.ApplyTo(statePath, before);
            if (await CheckAsync(statePath, model, state.GuaranteedMark, withQemu) is { } failure)
            {
                failures.Add($"{state.Description}: {failure}");
            }
        }

        var report = new PowerLossReport(scenario.Name, seed, log.Writes, log.Flushes, states.Count, failures);
        TestContext.Progress.WriteLine(report.ToString());
        foreach (string failure in failures.Take(5))
        {
            TestContext.Progress.WriteLine($"  {failure}");
        }

        return report;
    }

    private static async Task<string?> CheckAsync(string path, GuestModel model, int mark, bool withQemu)
    {
        bool dirty = IsMarkedDirty(path);
        if (withQemu && !dirty && await QemuCheckAsync(path) is { } before)
        {
            return before;
        }

        try
        {
            await using (var image = await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { VerifyBeforeWriting = false, Lock = false }))
            {
                var check = await image.CheckAsync();
                if (check.Corruptions > 0)
                {
                    return $"our check finds {check.Corruptions} corruption(s): {string.Join("; ", check.Messages.Take(3))}";
                }

                if (check.Leaks > 0 && (await image.CheckAsync(Qcow2RepairMode.Leaks)).LeaksFixed != check.Leaks)
                {
                    return $"our check cannot repair its {check.Leaks} leak(s)";
                }

                var disk = new byte[image.Length];
                await image.ReadAsync(0, disk);
                if (model.Verify(disk, mark) is { } wrong)
                {
                    return $"data (flush {mark} durable): {wrong}";
                }
            }
        }
        catch (Exception ex) when (ex is Qcow2FormatException or IOException or InvalidDataException or ArgumentException)
        {
            return $"our engine cannot open it: {ex.GetType().Name}: {ex.Message}";
        }

        return withQemu && dirty ? await QemuCheckAsync(path) : null;
    }

    /// <summary>Whether the header carries the dirty bit of lazy refcounts (version 3, incompatible features bit 0).</summary>
    private static bool IsMarkedDirty(string path)
    {
        Span<byte> header = stackalloc byte[80];
        using var handle = File.OpenHandle(path);
        return RandomAccess.Read(handle, header, 0) == header.Length
            && BinaryPrimitives.ReadUInt32BigEndian(header[4..]) >= 3
            && (BinaryPrimitives.ReadUInt64BigEndian(header[72..]) & 1) != 0;
    }

    private static async Task<string?> QemuCheckAsync(string path)
    {
        var result = await ExternalTool.RunAsync("qemu-img", "check", "-f", "qcow2", path);
        return result.ExitCode is 0 or 3 ? null : $"qemu-img check exits {result.ExitCode}: {result.StandardOutput.Trim()} {result.StandardError.Trim()}";
    }
}
