using System.Globalization;
using System.Text;

namespace Targetd.Qcow2.Cli;

/// <summary><c>snapshot -l | -c NAME | -a NAME | -d NAME FILE</c>.</summary>
internal static class SnapshotCommand
{
    private static readonly string[] Actions = ["-l", "-c", "-a", "-d"];

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var parsed = CliArguments.Parse(args, new HashSet<string> { "-c", "-a", "-d", "-f" }, new HashSet<string> { "-l", "-q", "-U", "--force-share" });
        string path = ImageTool.Single(parsed, "snapshot");
        int actions = Actions.Count(parsed.Has);
        if (actions != 1)
        {
            throw new CliException("Exactly one of -l, -c, -a or -d must be given");
        }

        bool list = parsed.Has("-l");
        bool forceShare = ForceShare.Given(parsed, writing: !list);
        await using var image = await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { ReadOnly = list, OpenBackingFile = false, Lock = !forceShare }, cancellationToken).ConfigureAwait(false);
        if (parsed.Get("-c") is { } create)
        {
            await image.CreateSnapshotAsync(create, cancellationToken).ConfigureAwait(false);
        }
        else if (parsed.Get("-a") is { } apply)
        {
            await image.ApplySnapshotAsync(apply, cancellationToken).ConfigureAwait(false);
        }
        else if (parsed.Get("-d") is { } delete)
        {
            await image.DeleteSnapshotAsync(delete, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var snapshots = await image.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false);
            if (snapshots.Count > 0)
            {
                var text = new StringBuilder("Snapshot list:\nID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT");
                foreach (var s in snapshots)
                {
                    text.Append(CultureInfo.InvariantCulture, $"\n{s.Id,-9} {s.Name,-17} {s.VmStateSize,5} B {s.Created.UtcDateTime:yyyy-MM-dd HH:mm:ss} {s.VmClock:hh\\:mm\\:ss\\.fff}");
                }

                await output.WriteLineAsync(text.ToString()).ConfigureAwait(false);
            }
        }

        return 0;
    }
}
