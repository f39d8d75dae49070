using System.Text.RegularExpressions;

namespace Targetd.Storage.Nfs;

/// <summary>
/// Reads <c>exportfs -v</c>: <c>PATH&lt;spaces&gt;&lt;tab&gt;CLIENT(OPTIONS)</c> a line, or, for paths longer than the
/// column, the path alone and the client on the next, indented line. <c>&lt;world&gt;</c> is reported as <c>*</c>.
/// </summary>
public static partial class ExportfsListing
{
    /// <summary>The exports listed, options in targetd's order.</summary>
    public static IReadOnlyList<NfsExport> Parse(string output)
    {
        var exports = new List<NfsExport>();
        string? pendingPath = null;
        foreach (string raw in output.Split('\n'))
        {
            string line = raw.TrimEnd();
            if (line.Length == 0)
            {
                continue;
            }

            if (char.IsWhiteSpace(line[0]))
            {
                if (pendingPath is not null && Client().Match(line.Trim()) is { Success: true } continued)
                {
                    exports.Add(Export(pendingPath, continued));
                }

                pendingPath = null;
                continue;
            }

            var whole = PathAndClient().Match(line);
            if (whole.Success)
            {
                exports.Add(Export(whole.Groups["path"].Value, Client().Match(whole.Groups["client"].Value)));
                pendingPath = null;
            }
            else
            {
                pendingPath = line;
            }
        }

        return exports;
    }

    private static NfsExport Export(string path, Match client)
    {
        string host = client.Groups["host"].Value;
        var options = client.Groups["options"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries);
        return new NfsExport(host == "<world>" ? "*" : host, path, NfsOptions.InListedOrder(options));
    }

    [GeneratedRegex(@"^(?<path>\S.*?)\s+(?<client>\S+\([^()]*\))$")]
    private static partial Regex PathAndClient();

    [GeneratedRegex(@"^(?<host>[^\s(]+)\((?<options>[^()]*)\)$")]
    private static partial Regex Client();
}
