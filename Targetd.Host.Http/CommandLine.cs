using System.Reflection;

namespace Targetd.Host.Http;

/// <summary>The <c>targetd</c> command line.</summary>
internal static class CommandLine
{
    private const string Usage = """
        Usage: targetd [--config PATH] [--check-config]

        Serves the targetd JSON-RPC 2.0 API (POST /targetrpc) over HTTP or HTTPS and exports
        volumes through the built-in iSCSI target.

        Options:
          --config PATH   configuration file (default /etc/target/targetd.yaml); the password
                          may also come from the TARGETD_PASSWORD environment variable
          --check-config  check the configuration, print a summary and exit (1 and the
                          first error, naming its key, when it is wrong)
          --version       print the version and exit
          -h, --help      print this help and exit
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 1 && args[0] is "-h" or "--help")
        {
            await output.WriteLineAsync(Usage).ConfigureAwait(false);
            return 0;
        }

        if (args.Length == 1 && args[0] == "--version")
        {
            await output.WriteLineAsync($"targetd {typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion}").ConfigureAwait(false);
            return 0;
        }

        string path = TargetdConfigLoader.DefaultPath;
        bool checkOnly = args.Contains("--check-config");
        var rest = args.Where(a => a != "--check-config").ToArray();
        if (rest.Length == 2 && rest[0] == "--config")
        {
            path = rest[1];
        }
        else if (rest.Length != 0 || args.Length - rest.Length > 1)
        {
            await error.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }

        TargetdConfig config;
        try
        {
            config = TargetdConfigLoader.Load(path, Environment.GetEnvironmentVariable("TARGETD_PASSWORD"));
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"targetd: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        if (checkOnly)
        {
            if (TargetdConfigCheck.Problem(config) is { } problem)
            {
                await error.WriteLineAsync($"targetd: {problem}").ConfigureAwait(false);
                return 1;
            }

            await output.WriteLineAsync(TargetdConfigCheck.Summary(path, config)).ConfigureAwait(false);
            return 0;
        }

        return await TargetdHost.RunAsync(config, path, error).ConfigureAwait(false);
    }
}
