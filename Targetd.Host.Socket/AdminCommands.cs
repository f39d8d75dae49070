using System.Globalization;
using System.Net.Sockets;
using Newtonsoft.Json.Linq;

namespace Targetd.Host.Socket;

/// <summary>
/// The admin verbs: <c>attach</c>, <c>detach-lun</c>, <c>add-target</c>, <c>delete-target</c>,
/// <c>clear-target</c> and <c>list</c> (a table, or <c>--json</c>), each speaking the control socket.
/// </summary>
internal static class AdminCommands
{
    public static readonly IReadOnlySet<string> Verbs = new HashSet<string> { "attach", "detach-lun", "add-target", "delete-target", "clear-target", "list" };

    public static async Task<int> RunAsync(string verb, IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var options = ParseOptions(args, out var problem);
        if (problem is not null)
        {
            await error.WriteLineAsync($"qcow2target {verb}: {problem}").ConfigureAwait(false);
            return 2;
        }

        string socket = options.GetValueOrDefault("socket") ?? DaemonOptions.DefaultSocketPath;
        (string Type, JObject? Command) request;
        try
        {
            request = verb switch
            {
                "attach" => ("ATTACH", new JObject { ["target_name"] = Required(options, "target"), ["disk_path"] = Required(options, "disk") }),
                "detach-lun" => ("DETACHLUN", new JObject { ["target_name"] = Required(options, "target"), ["lun_id"] = Lun(Required(options, "lun")) }),
                "add-target" => ("ADDTARGET", new JObject { ["target_name"] = Required(options, "target") }),
                "delete-target" => ("DELETETARGET", new JObject { ["target_name"] = Required(options, "target") }),
                "clear-target" => ("CLEARTARGET", new JObject { ["target_name"] = Required(options, "target") }),
                _ => ("LIST", null),
            };
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"qcow2target {verb}: {ex.Message}").ConfigureAwait(false);
            return 2;
        }

        JObject reply;
        try
        {
            reply = await AdminClient.SendAsync(socket, request.Type, request.Command, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or IOException or Newtonsoft.Json.JsonException)
        {
            await error.WriteLineAsync($"qcow2target {verb}: cannot talk to the daemon at {socket}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        string? message = (string?)reply["error"];
        if (!string.IsNullOrEmpty(message))
        {
            await error.WriteLineAsync($"qcow2target {verb}: {message}").ConfigureAwait(false);
            return 1;
        }

        var result = reply["result"] as JObject ?? [];
        await output.WriteAsync(verb switch
        {
            "attach" => $"LUN {result["lun_id"]}\n",
            "detach-lun" => $"{result["file_path"]}\n",
            "clear-target" => string.Concat(result["freed_logical_unit_paths"]?.Values<string>().Select(p => p + "\n") ?? []),
            "list" when options.ContainsKey("json") => result.ToString() + "\n",
            "list" => Table(result),
            _ => string.Empty,
        }).ConfigureAwait(false);
        return 0;
    }

    private static string Table(JObject targets)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"ID",-4} {"TARGET",-50} {"LUN",-4} {"CONNECTED",-9} DISK");
        foreach (var (name, value) in targets)
        {
            var units = value?["logical_units"] as JArray ?? [];
            string connected = (bool?)value?["has_connections"] == true ? "yes" : "no";
            if (units.Count == 0)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"{value?["target_id"],-4} {name,-50} {"-",-4} {connected,-9} -");
            }

            foreach (var unit in units)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"{value?["target_id"],-4} {name,-50} {unit["logical_unit_id"],-4} {connected,-9} {unit["file_path"]}{(unit["error"] is { } error ? $" (FAILED: {error})" : string.Empty)}");
            }

            foreach (var nexus in value?["it_nexuses"]?.Values<string>() ?? [])
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"     nexus {nexus}");
            }
        }

        return text.ToString();
    }

    private static string Required(Dictionary<string, string?> options, string name) =>
        options.GetValueOrDefault(name) ?? throw new ArgumentException($"--{name} is required");

    private static int Lun(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int lun) && lun <= 255 ? lun : throw new ArgumentException($"invalid LUN id '{text}'");

    /// <summary>Options as the original admin tool takes them: <c>-t X</c>, <c>--target_name X</c>, <c>--target-name=X</c>.</summary>
    private static Dictionary<string, string?> ParseOptions(IReadOnlyList<string> args, out string? problem)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["-t"] = "target", ["--target_name"] = "target", ["--target-name"] = "target", ["--target"] = "target",
            ["-d"] = "disk", ["--disk_path"] = "disk", ["--disk-path"] = "disk", ["--disk"] = "disk",
            ["-l"] = "lun", ["--lun_id"] = "lun", ["--lun-id"] = "lun", ["--lun"] = "lun",
            ["--socket"] = "socket",
        };
        var options = new Dictionary<string, string?>(StringComparer.Ordinal);
        problem = null;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--json")
            {
                options["json"] = null;
                continue;
            }

            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            string key = eq > 0 ? arg[..eq] : arg;
            if (!names.TryGetValue(key, out string? name))
            {
                problem = $"unknown option '{arg}'";
                return options;
            }

            string? value = eq > 0 ? arg[(eq + 1)..] : (++i < args.Count ? args[i] : null);
            if (value is null)
            {
                problem = $"option '{key}' needs a value";
                return options;
            }

            options[name] = value;
        }

        return options;
    }
}
