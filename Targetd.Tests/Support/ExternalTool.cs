using Targetd.Core.Processes;

namespace Targetd.Tests.Support;

/// <summary>Runs the real tools interop suites compare against, and skips a test where one is missing.</summary>
internal static class ExternalTool
{
    private static readonly ProcessRunner Runner = new();

    public static string SharedDirectory
    {
        get
        {
            string? fromEnvironment = Environment.GetEnvironmentVariable("TARGETD_SHARED_DIR");
            if (!string.IsNullOrEmpty(fromEnvironment))
            {
                return fromEnvironment;
            }

            string beside = Path.Combine(Path.GetDirectoryName(RepositoryRoot.Path) ?? "/work", "shared");
            return Directory.Exists(beside) ? beside : "/work/shared";
        }
    }

    public static void Require(string program)
    {
        string? found = Environment.GetEnvironmentVariable("PATH")?.Split(':')
            .Select(p => Path.Combine(p, program)).FirstOrDefault(File.Exists);
        if (found is null)
        {
            Prerequisite.Missing($"{program} is not installed.");
        }
    }

    public static async Task<ProcessResult> RunAsync(string program, params string[] arguments)
    {
        var result = await Runner.RunAsync(new ProcessCommand(program, arguments) { Timeout = TimeSpan.FromMinutes(5) });
        return result;
    }

    public static async Task<string> RunOkAsync(string program, params string[] arguments)
    {
        var result = await RunAsync(program, arguments);
        result.ExitCode.Should().Be(0, $"{program} {string.Join(' ', arguments)} failed: {result.StandardOutput}{result.StandardError}");
        return result.StandardOutput;
    }
}
