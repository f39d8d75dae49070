using System.Globalization;

namespace Targetd.Storage.Pools.FileSystems;

/// <summary>
/// Reads <c>btrfs subvolume list -u [-s]</c> output, one subvolume a line:
/// <c>ID 259 gen 8 top level 257 uuid UUID path targetd_fs/fs1</c>, with <c>cgen N</c> and
/// <c>otime YYYY-MM-DD HH:MM:SS</c> (local time) when <c>-s</c> is given. Fields are found by their keys, not
/// their positions, and the path is everything after <c>path</c>.
/// </summary>
internal static class BtrfsSubvolumeList
{
    /// <summary>One listed subvolume.</summary>
    /// <param name="Uuid">Its UUID.</param>
    /// <param name="Path">Its path relative to the file system's top level (a leading <c>&lt;FS_TREE&gt;/</c> removed).</param>
    /// <param name="CreatedAt">Its creation time when listed with <c>-s</c>.</param>
    public sealed record Entry(string Uuid, string Path, DateTimeOffset? CreatedAt)
    {
        /// <summary>The path's components.</summary>
        public string[] Components => Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The entries of a listing; lines that do not have a uuid and a path are skipped.</summary>
    public static IReadOnlyList<Entry> Parse(string output)
    {
        var entries = new List<Entry>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] tokens = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int uuidAt = Array.IndexOf(tokens, "uuid");
            int pathAt = line.IndexOf(" path ", StringComparison.Ordinal);
            if (uuidAt < 0 || uuidAt + 1 >= tokens.Length || pathAt < 0)
            {
                continue;
            }

            string path = line[(pathAt + " path ".Length)..];
            if (path.StartsWith("<FS_TREE>/", StringComparison.Ordinal))
            {
                path = path["<FS_TREE>/".Length..];
            }

            DateTimeOffset? created = null;
            int otimeAt = Array.IndexOf(tokens, "otime");
            if (otimeAt >= 0 && otimeAt + 2 < tokens.Length
                && DateTime.TryParseExact($"{tokens[otimeAt + 1]} {tokens[otimeAt + 2]}", "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var local))
            {
                // btrfs prints otime with localtime(3) in the zone this process shares with it.
                created = new DateTimeOffset(local);
            }

            entries.Add(new Entry(tokens[uuidAt + 1], path, created));
        }

        return entries;
    }
}
