using System.Globalization;
using System.Text;

namespace Targetd.Qcow2.Cli;

/// <summary><c>map [--output=human|json] FILE</c>.</summary>
internal static class MapCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var parsed = CliArguments.Parse(args, new HashSet<string> { "--output", "-f" }, new HashSet<string> { "-U", "--force-share" });
        string path = ImageTool.Single(parsed, "map");
        await using var image = await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { ReadOnly = true, Lock = !ForceShare.Given(parsed) }, cancellationToken).ConfigureAwait(false);
        var extents = await image.MapAsync(cancellationToken).ConfigureAwait(false);
        var text = new StringBuilder();
        if (parsed.Get("--output") == "json")
        {
            text.Append('[');
            for (int i = 0; i < extents.Count; i++)
            {
                var e = extents[i];
                text.Append(i == 0 ? string.Empty : ",\n")
                    .Append(CultureInfo.InvariantCulture, $"{{ \"start\": {e.Start}, \"length\": {e.Length}, \"depth\": {e.Depth}, \"present\": {Lower(e.Present)}, \"zero\": {Lower(e.Zero)}, \"data\": {Lower(e.Data)}");
                if (e.Offset is { } offset)
                {
                    text.Append(CultureInfo.InvariantCulture, $", \"offset\": {offset}");
                }

                text.Append('}');
            }

            text.Append(']');
        }
        else
        {
            text.Append("Offset          Length          Mapped to       File");
            foreach (var e in extents.Where(e => e.Data && e.Offset is not null))
            {
                text.Append(CultureInfo.InvariantCulture, $"\n0x{e.Start,-14:x} 0x{e.Length,-14:x} 0x{e.Offset,-14:x} {path}");
            }
        }

        await output.WriteLineAsync(text.ToString()).ConfigureAwait(false);
        return 0;
    }

    private static string Lower(bool value) => value ? "true" : "false";
}
