using System.Reflection;

namespace Targetd.Host.Http;

/// <summary>The <c>targetd</c> command line.</summary>
internal static class CommandLine
{
    private const string Usage = """
        Usage: targetd [--config PATH]

        Serves the targetd JSON-RPC 2.0 API (POST /targetrpc) over HTTP or HTTPS and exports
        volumes through the built-in iSCSI target.

        Options:
          --config PATH   configuration file (default /etc/target/targetd.yaml)
          --version       print the version and exit
          -h, --help      print this help and exit
        """;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 1 && args[0] is "-h" or "--help")
        {
            output.WriteLine(Usage);
            return 0;
        }

        if (args.Length == 1 && args[0] == "--version")
        {
            output.WriteLine($"targetd {typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion}");
            return 0;
        }

        error.WriteLine("targetd: the JSON-RPC server is not available in this build.");
        error.WriteLine(Usage);
        return 2;
    }
}
