using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Targetd.Qcow2.Cli;

/// <summary><c>info [--output=human|json] FILE</c>.</summary>
internal static class InfoCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var parsed = CliArguments.Parse(args, new HashSet<string> { "--output", "-f" }, new HashSet<string> { "-U", "--force-share" });
        string path = ImageTool.Single(parsed, "info");
        await using var image = await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { ReadOnly = true, OpenBackingFile = false, Lock = !ForceShare.Given(parsed) }, cancellationToken).ConfigureAwait(false);
        long diskSize = new FileInfo(path).Length;
        if (parsed.Get("--output") == "json")
        {
            await output.WriteLineAsync(Json(image, path, diskSize)).ConfigureAwait(false);
            return 0;
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"image: {path}\nfile format: qcow2\n");
        text.Append(CultureInfo.InvariantCulture, $"virtual size: {image.Length} bytes\ndisk size: {diskSize}\ncluster_size: {image.ClusterSize}\n");
        if (image.BackingFile is { } backing)
        {
            text.Append(CultureInfo.InvariantCulture, $"backing file: {backing}\nbacking file format: {image.BackingFormat ?? "unknown"}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"Format specific information:\n    compat: {(image.Version == 2 ? "0.10" : "1.1")}\n");
        text.Append(CultureInfo.InvariantCulture, $"    compression type: {QemuNames.Name(image.CompressionType)}\n    lazy refcounts: {Lower(image.HasLazyRefcounts)}\n");
        text.Append(CultureInfo.InvariantCulture, $"    refcount bits: {image.RefcountBits}\n    corrupt: {Lower(image.IsCorrupt)}\n    extended l2: {Lower(image.HasExtendedL2)}");
        await output.WriteLineAsync(text.ToString()).ConfigureAwait(false);
        return 0;
    }

    private static string Lower(bool value) => value ? "true" : "false";

    private static string Json(Qcow2Image image, string path, long diskSize)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("virtual-size", image.Length);
            json.WriteString("filename", path);
            json.WriteNumber("cluster-size", image.ClusterSize);
            json.WriteString("format", "qcow2");
            json.WriteNumber("actual-size", diskSize);
            if (image.BackingFile is { } backing)
            {
                json.WriteString("backing-filename", backing);
                if (image.BackingFormat is { } format)
                {
                    json.WriteString("backing-filename-format", format);
                }
            }

            json.WriteStartObject("format-specific");
            json.WriteString("type", "qcow2");
            json.WriteStartObject("data");
            json.WriteString("compat", image.Version == 2 ? "0.10" : "1.1");
            if (image.Version == 3)
            {
                json.WriteString("compression-type", QemuNames.Name(image.CompressionType));
                json.WriteBoolean("lazy-refcounts", image.HasLazyRefcounts);
                json.WriteNumber("refcount-bits", image.RefcountBits);
                json.WriteBoolean("corrupt", image.IsCorrupt);
                json.WriteBoolean("extended-l2", image.HasExtendedL2);
            }
            else
            {
                json.WriteNumber("refcount-bits", image.RefcountBits);
            }

            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteBoolean("dirty-flag", image.IsDirty);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
