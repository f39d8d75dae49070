using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Targetd.Qcow2.Cli;

/// <summary>
/// <c>check [-q] [-r leaks|all] [--output=human|json] FILE</c>, printing what qemu-img check prints: findings on
/// standard error, the summary (or the JSON object) on standard output; exit 0 clean, 2 corruptions, 3 leaks only.
/// After a repair the image is checked again and that second check is reported, with the repaired counts.
/// </summary>
internal static class CheckCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var parsed = CliArguments.Parse(args, new HashSet<string> { "--output", "-r", "-f", "-T" }, new HashSet<string> { "-q", "-U", "--force-share" });
        string path = ImageTool.Single(parsed, "check");
        var repair = parsed.Get("-r") switch
        {
            null => Qcow2RepairMode.None,
            "leaks" => Qcow2RepairMode.Leaks,
            "all" => Qcow2RepairMode.All,
            var other => throw new CliException($"Unknown option value for -r (expecting 'leaks' or 'all'): {other}"),
        };
        bool json = parsed.Get("--output") switch
        {
            null or "human" => false,
            "json" => true,
            var other => throw new CliException($"--output must be used with human or json as argument. ({other})"),
        };
        bool quiet = parsed.Has("-q");
        bool forceShare = ForceShare.Given(parsed, writing: repair != Qcow2RepairMode.None);
        await using var image = await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { ReadOnly = repair == Qcow2RepairMode.None, OpenBackingFile = false, Lock = !forceShare }, cancellationToken).ConfigureAwait(false);
        var result = await image.CheckAsync(repair, cancellationToken).ConfigureAwait(false);
        await WriteLinesAsync(error, result.Messages).ConfigureAwait(false);
        if (result.CorruptionsFixed > 0 || result.LeaksFixed > 0)
        {
            if (!json && !quiet)
            {
                await output.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"The following inconsistencies were found and repaired:\n\n    {result.LeaksFixed} leaked clusters\n    {result.CorruptionsFixed} corruptions\n\nDouble checking the fixed image now...\n")).ConfigureAwait(false);
            }

            var again = await image.CheckAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await WriteLinesAsync(error, again.Messages).ConfigureAwait(false);
            result = again with
            {
                Corruptions = again.Corruptions + result.CorruptionsFixed,
                CorruptionsFixed = result.CorruptionsFixed,
                Leaks = again.Leaks + result.LeaksFixed,
                LeaksFixed = result.LeaksFixed,
            };
        }

        if (json)
        {
            await output.WriteLineAsync(Json(result, path)).ConfigureAwait(false);
        }
        else if (!quiet)
        {
            await output.WriteAsync(Human(result)).ConfigureAwait(false);
        }

        return result.ExitCode;
    }

    private static async Task WriteLinesAsync(TextWriter writer, IReadOnlyList<string> lines)
    {
        foreach (string line in lines)
        {
            await writer.WriteLineAsync(line).ConfigureAwait(false);
        }
    }

    /// <summary>qemu-img's human summary (qemu-img.c, dump_human_image_check).</summary>
    internal static string Human(Qcow2CheckResult result)
    {
        var text = new StringBuilder();
        int corruptions = result.Corruptions - result.CorruptionsFixed;
        int leaks = result.Leaks - result.LeaksFixed;
        if (corruptions == 0 && leaks == 0)
        {
            text.Append("No errors were found on the image.\n");
        }

        if (corruptions > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n{corruptions} errors were found on the image.\nData may be corrupted, or further writes to the image may corrupt it.\n");
        }

        if (leaks > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n{leaks} leaked clusters were found on the image.\nThis means waste of disk space, but no harm to data.\n");
        }

        if (result.TotalClusters != 0 && result.AllocatedClusters != 0)
        {
            double allocated = result.AllocatedClusters;
            text.Append(CultureInfo.InvariantCulture, $"{result.AllocatedClusters}/{result.TotalClusters} = {allocated * 100 / result.TotalClusters:F2}% allocated, {result.FragmentedClusters * 100 / allocated:F2}% fragmented, {result.CompressedClusters * 100 / allocated:F2}% compressed clusters\n");
        }

        if (result.ImageEndOffset != 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"Image end offset: {result.ImageEndOffset}\n");
        }

        return text.ToString();
    }

    /// <summary>
    /// qemu-img's JSON (QAPI ImageCheck): check-errors, filename and format always, every count only when it is not
    /// zero, in the order qemu-img 7.2 prints them, indented by four spaces. Problems this check cannot get past
    /// throw instead of counting, so check-errors is 0.
    /// </summary>
    internal static string Json(Qcow2CheckResult result, string path)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, IndentSize = 4 }))
        {
            json.WriteStartObject();
            WriteCount(json, "image-end-offset", result.ImageEndOffset);
            WriteCount(json, "compressed-clusters", result.CompressedClusters);
            WriteCount(json, "total-clusters", result.TotalClusters);
            WriteCount(json, "corruptions", result.Corruptions - result.CorruptionsFixed);
            WriteCount(json, "corruptions-fixed", result.CorruptionsFixed);
            json.WriteNumber("check-errors", 0);
            WriteCount(json, "leaks", result.Leaks - result.LeaksFixed);
            WriteCount(json, "leaks-fixed", result.LeaksFixed);
            WriteCount(json, "allocated-clusters", result.AllocatedClusters);
            json.WriteString("filename", path);
            json.WriteString("format", "qcow2");
            WriteCount(json, "fragmented-clusters", result.FragmentedClusters);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteCount(Utf8JsonWriter json, string name, long value)
    {
        if (value != 0)
        {
            json.WriteNumber(name, value);
        }
    }
}
