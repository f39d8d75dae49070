using System.Text;

namespace Targetd.Storage.Nfs;

/// <summary>
/// The exports file targetd keeps (<c>/etc/exports.d/targetd.exports</c> by default), one
/// <c>PATH HOST(OPTIONS)</c> a line as exports(5) reads it, so the NFS server exports them again at boot. Lines
/// state <c>no_subtree_check</c> (exportfs' default) when the export names neither subtree option.
/// It is replaced atomically (a temporary file renamed over it) and holds only exports made through targetd.
/// </summary>
public sealed class ExportsFile(string path)
{
    private const string Header = "# Exports made through targetd (nfs_export_add); this file is rewritten by targetd.";

    /// <summary>The file's path.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>The exports in the file (none when it does not exist).</summary>
    public async Task<List<NfsExport>> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (!File.Exists(Path))
        {
            return [];
        }

        var exports = new List<NfsExport>();
        foreach (string raw in await File.ReadAllLinesAsync(Path, cancellationToken).ConfigureAwait(false))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            string[] parts = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            foreach (string client in parts.Skip(1))
            {
                int open = client.IndexOf('(', StringComparison.Ordinal);
                string host = open < 0 ? client : client[..open];
                string options = open < 0 ? string.Empty : client[(open + 1)..].TrimEnd(')');
                exports.Add(new NfsExport(host, parts[0], options.Split(',', StringSplitOptions.RemoveEmptyEntries)));
            }
        }

        return exports;
    }

    /// <summary>Replaces the file's content with <paramref name="exports"/>.</summary>
    public async Task WriteAsync(IEnumerable<NfsExport> exports, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var export in exports)
        {
            // Every exportfs run reads this file and warns for each line that names neither subtree option (then
            // assumes no_subtree_check): the line says so itself.
            var options = export.Options.Contains("subtree_check") || export.Options.Contains("no_subtree_check")
                ? export.Options
                : [.. export.Options, "no_subtree_check"];
            text.Append(export.Path).Append(' ').Append(export.Host).Append('(').AppendJoin(',', options).Append(")\n");
        }

        string folder = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(folder);
        string temporary = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(Path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous }))
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()), cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, Path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
