using System.Net;
using System.Net.Sockets;
using Newtonsoft.Json.Linq;
using Targetd.Tests.Support;
using Targetd.Tests.Support.Readme;

namespace Targetd.Tests.Host;

/// <summary>
/// Runs the shell blocks of README.md literally, from the repository root, in the order a reader would: a daemon
/// command runs in the background (the reader's first shell; a later daemon replaces the earlier ones, as the
/// two share the portal), every other command must exit 0, and a JSON reply must carry a result. The blocks
/// under "Test" (the suite itself) are left out. Files the commands create are removed afterwards.
/// </summary>
[Category("Interop")]
[NonParallelizable]
public sealed class ReadmeCommandsInteropTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);

    [Test]
    public async Task The_readme_commands_work_as_written()
    {
        ExternalTool.Require("curl");
        string root = RepositoryRoot.Path;
        foreach (int port in new[] { 3260, 18700, 9712, 9713 })
        {
            PortIsFree(port).Should().BeTrue($"the README's daemons listen on 127.0.0.1:{port}, which something else holds");
        }

        var blocks = ReadmeShellBlocks.Parse(await File.ReadAllTextAsync(Path.Combine(root, "README.md")))
            .Where(b => b.Heading != "Test").ToList();
        blocks.Should().NotBeEmpty();
        var before = Entries(root);
        var outputs = new List<(string Command, string Output)>();
        await using var shell = new ShellSession(root);
        try
        {
            foreach (string command in blocks.SelectMany(b => b.Commands))
            {
                if (ReadyLine(command) is { } ready)
                {
                    await shell.StopDaemonsAsync();
                    await shell.StartDaemonAsync(command, ready, CommandTimeout);
                    continue;
                }

                var (exitCode, output) = await shell.RunAsync(command, CommandTimeout);
                exitCode.Should().Be(0, $"'{command}' printed:\n{output}\ndaemons:\n{shell.DaemonLogs}");
                if (output.TrimStart().StartsWith('{'))
                {
                    var reply = JObject.Parse(output);
                    reply["error"].Should().BeNull($"'{command}' answered {output}");
                }

                outputs.Add((command, output));
            }
        }
        finally
        {
            await shell.StopDaemonsAsync();
            RemoveNew(root, before);
        }

        Reply(outputs, "\"vol_create\"")["result"]!.Type.Should().Be(JTokenType.Null);
        Reply(outputs, "\"vol_list\"")["result"]!.Select(v => (string?)v["name"]).Should().Contain("vol1");
        Reply(outputs, "\"fs_create\"")["result"]!.Type.Should().Be(JTokenType.Null);
        outputs.Single(o => o.Command.Contains(" attach ", StringComparison.Ordinal)).Output.Should().Contain("LUN 0");
        var info = JObject.Parse(outputs.Single(o => o.Command.Contains("image info --output=json", StringComparison.Ordinal)).Output);
        ((long)info["virtual-size"]!).Should().Be(10L << 30);
        ((int)info["cluster-size"]!).Should().Be(65536);
        outputs.Single(o => o.Command.Contains("Targetd.Host.Http -- --config data/targetd.yaml --check-config", StringComparison.Ordinal)).Output
            .Should().Contain("configuration OK").And.Contain("metrics_address: 127.0.0.1:9712");
        outputs.Single(o => o.Command.StartsWith("curl -s http://127.0.0.1:9713/metrics", StringComparison.Ordinal)).Output
            .Should().Contain("method=\"ATTACH\"").And.Contain("result=\"ok\"");
    }

    /// <summary>What a daemon prints once it serves; null for a command that is not a daemon.</summary>
    private static string? ReadyLine(string command) =>
        command.Contains("--check-config", StringComparison.Ordinal) ? null
        : command.StartsWith("dotnet run --project Targetd.Host.Http --", StringComparison.Ordinal) ? "started server"
        : command.StartsWith("dotnet run --project Targetd.Host.Socket -- serve", StringComparison.Ordinal) ? "Serving control socket"
        : null;

    private static JObject Reply(List<(string Command, string Output)> outputs, string method) =>
        JObject.Parse(outputs.Single(o => o.Command.Contains(method, StringComparison.Ordinal)).Output);

    private static bool PortIsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static HashSet<string> Entries(string root) =>
        [.. Directory.EnumerateFileSystemEntries(root).Concat(Directory.EnumerateFileSystemEntries(Path.Combine(root, "data"), "*", SearchOption.AllDirectories))];

    private static void RemoveNew(string root, HashSet<string> before)
    {
        foreach (string entry in Entries(root).Where(e => !before.Contains(e)).OrderByDescending(e => e.Length))
        {
            if (Directory.Exists(entry) && !File.GetAttributes(entry).HasFlag(FileAttributes.ReparsePoint))
            {
                Directory.Delete(entry, recursive: true);
            }
            else if (File.Exists(entry) || Directory.Exists(entry))
            {
                File.Delete(entry);
            }
        }
    }
}
