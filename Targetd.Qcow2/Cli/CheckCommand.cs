using System.Text;
using System.Text.Json;

namespace Targetd.Qcow2.Cli;

/// <summary><c>check [-r leaks|all] [--output=human|json] FILE</c>: exit 0 clean, 2 corruptions, 3 leaks only.</summary>
internal static class CheckCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var parsed = CliArguments.Parse(args, new HashSet<string> { "--output", "-r", "-f" }, new HashSet<string> { "-q", "-U" });
        string path = ImageTool.Single(parsed, "check");
        var repair = parsed.Get("-r") switch
        {
            null => Qcow2RepairMode.None,
            "leaks" => Qcow2RepairMode.Leaks,
            "all" => Qcow2RepairMode.All,
            var other => throw new CliException($"Unknown option value for -r (expecting 'leaks' or 'all'): {other}"),
        };
        await using var image = await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { ReadOnly = repair == Qcow2RepairMode.None, OpenBackingFile = false }, cancellationToken).ConfigureAwait(false);
        var result = await image.CheckAsync(repair, cancellationToken).ConfigureAwait(false);
        if (parsed.Get("--output") == "json")
        {
            await output.WriteLineAsync(Json(result, path)).ConfigureAwait(false);
        }
        else if (!parsed.Has("-q"))
        {
            var text = new StringBuilder();
            foreach (string message in result.Messages)
            {
                text.AppendLine(message);
            }

            int corruptions = result.Corruptions - result.CorruptionsFixed;
            int leaks = result.Leaks - result.LeaksFixed;
            if (corruptions == 0 && leaks == 0)
            {
                text.AppendLine("No errors were found on the image.");
            }
            else
            {
                if (corruptions > 0)
                {
                    text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"{corruptions} errors were found on the image.\nData may be corrupted, or further writes to the image may corrupt it.");
                }

                if (leaks > 0)
                {
                    text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"{leaks} leaked clusters were found on the image.\nThis means waste of disk space, but no harm to data.");
                }
            }

            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{result.AllocatedClusters}/{result.TotalClusters} = {(result.TotalClusters == 0 ? 0 : 100.0 * result.AllocatedClusters / result.TotalClusters):F2}% allocated\nImage end offset: {result.ImageEndOffset}");
            await output.WriteLineAsync(text.ToString()).ConfigureAwait(false);
        }

        return result.ExitCode;
    }

    private static string Json(Qcow2CheckResult result, string path)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("image-end-offset", result.ImageEndOffset);
            json.WriteNumber("total-clusters", result.TotalClusters);
            json.WriteNumber("check-errors", 0);
            json.WriteNumber("allocated-clusters", result.AllocatedClusters);
            json.WriteString("filename", path);
            json.WriteString("format", "qcow2");
            if (result.Corruptions - result.CorruptionsFixed > 0)
            {
                json.WriteNumber("corruptions", result.Corruptions - result.CorruptionsFixed);
            }

            if (result.Leaks - result.LeaksFixed > 0)
            {
                json.WriteNumber("leaks", result.Leaks - result.LeaksFixed);
            }

            if (result.CorruptionsFixed > 0)
            {
                json.WriteNumber("corruptions-fixed", result.CorruptionsFixed);
            }

            if (result.LeaksFixed > 0)
            {
                json.WriteNumber("leaks-fixed", result.LeaksFixed);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
