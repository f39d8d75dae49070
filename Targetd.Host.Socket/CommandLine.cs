using System.Reflection;
using Targetd.Qcow2.Cli;

namespace Targetd.Host.Socket;

/// <summary>The <c>qcow2target</c> command line.</summary>
internal static class CommandLine
{
    private const string Usage = """
        Usage: qcow2target COMMAND [OPTIONS]

        Attaches qcow2 disks to iSCSI targets served by the built-in target, controlled over a
        UNIX socket with one JSON object per line.

        Commands:
          serve [--config FILE] [--socket PATH] [--socket-group GROUP] [--disks-root DIR]
                [--portal ADDRESS:PORT] [--state FILE] [--log-level LEVEL]
                [--log-format text|json] [--metrics-address ADDRESS:PORT]
                [--allowed-initiators IQN,...] [--chap-user USER --chap-password SECRET]
                [--mutual-chap-user USER --mutual-chap-password SECRET]
                [--check-config]
                                run the daemon (--check-config: check the settings,
                                print them and exit)
          attach -t TARGET -d DISK      attach a disk image (path within the disks root)
          detach-lun -t TARGET -l LUN   detach one LUN
          add-target -t TARGET          create a target
          delete-target -t TARGET       delete an empty target
          clear-target -t TARGET        detach every LUN of a target
          list [--json]                 targets, LUNs and connected initiators
          image COMMAND ...             qcow2 image tools (create, info, check, map, convert,
                                        snapshot, resize, bench)
        The admin verbs take --socket PATH (default /tmp/qcow2target.sock).

        Options:
          --version       print the version and exit
          -h, --help      print this help and exit
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || (args.Length == 1 && args[0] is "-h" or "--help"))
        {
            output.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        if (args.Length == 1 && args[0] == "--version")
        {
            output.WriteLine($"qcow2target {typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion}");
            return 0;
        }

        if (args[0] == "serve")
        {
            DaemonOptions options;
            try
            {
                options = DaemonOptions.Parse(args[1..]);
            }
            catch (ArgumentException ex)
            {
                error.WriteLine($"qcow2target serve: {ex.Message}");
                return args.Contains("--check-config") ? 1 : 2;
            }

            // The start refuses exactly what --check-config reports.
            if (DaemonOptionsCheck.Problem(options) is { } problem)
            {
                error.WriteLine($"qcow2target serve: {problem}");
                return 1;
            }

            if (options.CheckOnly)
            {
                output.WriteLine(options.Summary());
                return 0;
            }

            return await Daemon.RunAsync(options, error).ConfigureAwait(false);
        }

        if (AdminCommands.Verbs.Contains(args[0]))
        {
            return await AdminCommands.RunAsync(args[0], args[1..], output, error, CancellationToken.None).ConfigureAwait(false);
        }

        if (args[0] == "image")
        {
            using var cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                cancel.Cancel();
            };
            return await ImageTool.RunAsync(args[1..], output, error, cancel.Token).ConfigureAwait(false);
        }

        error.WriteLine($"qcow2target: unknown command '{args[0]}'.");
        error.WriteLine(Usage);
        return 2;
    }
}
