using Targetd.Core.BlockDevices;

namespace Targetd.Qcow2.Cli;

/// <summary>
/// The <c>image</c> commands with qemu-img's flags and exit statuses: create, info, check, map, convert and
/// bench. The host executable forwards its arguments here.
/// </summary>
public static class ImageTool
{
    private const string Usage = """
        usage: image COMMAND [OPTIONS]
          create [-f qcow2] [-o OPTIONS] [-b BACKING -F FMT] FILE [SIZE]
          info [--output=human|json] FILE
          check [-q] [-r leaks|all] [--output=human|json] FILE
          map [--output=human|json] FILE
          convert [-p] [-c] [-f FMT] [-O raw|qcow2] [-o OPTIONS] [-l SNAPSHOT] SRC DST
          snapshot -l | -c NAME | -a NAME | -d NAME FILE
          resize [--shrink] FILE [+|-]SIZE
          bench [-c COUNT] [-d DEPTH] [-s SIZE] [-S STEP] [-o OFFSET] [-w] [--pattern=N] FILE
        create options: compat=0.10|1.1, cluster_size=, refcount_bits=, extended_l2=on|off,
          lazy_refcounts=on|off, preallocation=off|metadata, compression_type=zlib|zstd
        """;

    /// <summary>Runs one command; returns the process exit status.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Count == 0 || args[0] is "-h" or "--help" or "help")
        {
            await output.WriteLineAsync(Usage).ConfigureAwait(false);
            return args.Count == 0 ? 1 : 0;
        }

        var rest = args.Skip(1).ToList();
        try
        {
            return args[0] switch
            {
                "create" => await CreateCommand.RunAsync(rest, output, cancellationToken).ConfigureAwait(false),
                "info" => await InfoCommand.RunAsync(rest, output, cancellationToken).ConfigureAwait(false),
                "check" => await CheckCommand.RunAsync(rest, output, error, cancellationToken).ConfigureAwait(false),
                "map" => await MapCommand.RunAsync(rest, output, cancellationToken).ConfigureAwait(false),
                "convert" => await ConvertCommand.RunAsync(rest, output, cancellationToken).ConfigureAwait(false),
                "snapshot" => await SnapshotCommand.RunAsync(rest, output, cancellationToken).ConfigureAwait(false),
                "resize" => await ResizeCommand.RunAsync(rest, output, cancellationToken).ConfigureAwait(false),
                "bench" => await BenchCommand.RunAsync(rest, output, cancellationToken).ConfigureAwait(false),
                _ => throw new CliException($"Command not found: {args[0]}"),
            };
        }
        catch (ImageInUseException ex)
        {
            // qemu-img's wording (block/file-posix.c raw_check_lock_bytes, then bdrv_open's "Could not open").
            string shared = ex.Shared ? "shared " : string.Empty;
            await error.WriteLineAsync($"qemu-img: Could not open '{ex.ImagePath}': Failed to get {shared}\"{ex.Permission}\" lock\nIs another process using the image [{ex.ImagePath}]?").ConfigureAwait(false);
            return 1;
        }
        catch (Exception ex) when (ex is CliException or Qcow2FormatException or IOException or UnauthorizedAccessException or ArgumentException or InvalidDataException)
        {
            await error.WriteLineAsync($"qemu-img: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    internal static string Single(CliArguments parsed, string what) =>
        parsed.Positionals.Count == 1 ? parsed.Positionals[0] : throw new CliException($"Expecting one image file name ({what})");

    internal static bool OnOff(string value, string key) => value switch
    {
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => throw new CliException($"Parameter '{key}' expects 'on' or 'off'"),
    };
}
