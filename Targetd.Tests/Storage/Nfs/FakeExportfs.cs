using Targetd.Core.Processes;

namespace Targetd.Tests.Storage.Nfs;

/// <summary>
/// A recording runner that behaves like <c>exportfs</c> for the commands the NFS service runs: <c>-v</c> lists in
/// exportfs' layout (long paths on their own line, <c>&lt;world&gt;</c> for <c>*</c>), <c>[-o OPTS] HOST:PATH</c>
/// exports, <c>-u HOST:PATH</c> unexports (status 1 when not exported). The options listed are those nfs-utils 2.6
/// prints on a server with kernel nfsd (as recorded in the kernel guest): the defaults filled in, in its order.
/// </summary>
internal sealed class FakeExportfs
{
    public FakeExportfs()
    {
        Runner = new RecordingProcessRunner().When(c => c.FileName == "exportfs", Run);
    }

    public RecordingProcessRunner Runner { get; }

    /// <summary>(host as exportfs prints it, path) → options, in export order.</summary>
    public List<(string Host, string Path, string Options)> Exports { get; } = [];

    /// <summary>The exportfs command lines that change something (not <c>-v</c>).</summary>
    public IReadOnlyList<string> Changes => [.. Runner.CommandLines.Where(l => l != "exportfs -v")];

    private ProcessResult Run(ProcessCommand command)
    {
        var args = command.Arguments;
        if (args is ["-v"])
        {
            return ProcessResult.Success(string.Concat(Exports.Select(e =>
                (e.Path.Length > 14 ? $"{e.Path}\n\t\t" : $"{e.Path,-14}\t") + $"{(e.Host == "*" ? "<world>" : e.Host)}({e.Options})\n")));
        }

        bool remove = args[0] == "-u";
        string target = args[^1];
        int split = target.StartsWith('[') ? target.IndexOf(':', target.IndexOf(']', StringComparison.Ordinal)) : target.IndexOf(':', StringComparison.Ordinal);
        string host = target[..split].Replace("[", string.Empty, StringComparison.Ordinal).Replace("]", string.Empty, StringComparison.Ordinal);
        string path = target[(split + 1)..];
        int at = Exports.FindIndex(e => e.Host == host && e.Path == path);
        if (remove)
        {
            if (at < 0)
            {
                return new ProcessResult(1, string.Empty, $"exportfs: Could not find '{target}' to unexport.");
            }

            Exports.RemoveAt(at);
            return ProcessResult.Success();
        }

        string options = Listed(args[0] == "-o" ? args[1].Split(',') : []);
        if (at >= 0)
        {
            Exports[at] = (host, path, options);
        }
        else
        {
            Exports.Add((host, path, options));
        }

        return ProcessResult.Success();
    }

    /// <summary>What <c>exportfs -v</c> prints for an export made with <paramref name="given"/> (the common options).</summary>
    private static string Listed(string[] given)
    {
        string Either(string set, string otherwise) => given.Contains(set) ? set : otherwise;
        string? Value(string key) => given.FirstOrDefault(o => o.StartsWith(key + "=", StringComparison.Ordinal));
        string?[] listed =
        [
            Either("async", "sync"), Either("no_wdelay", "wdelay"), Either("nohide", "hide"), given.Contains("crossmnt") ? "crossmnt" : null,
            given.Contains("subtree_check") ? null : "no_subtree_check", given.Contains("insecure_locks") ? "insecure_locks" : null,
            Value("fsid"), Value("anonuid"), Value("anongid"), Value("sec") ?? "sec=sys",
            Either("rw", "ro"), Either("insecure", "secure"), Either("no_root_squash", "root_squash"), Either("all_squash", "no_all_squash"),
        ];
        return string.Join(',', listed.OfType<string>());
    }
}
