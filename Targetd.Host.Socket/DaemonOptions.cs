using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using Targetd.Iscsi;

namespace Targetd.Host.Socket;

/// <summary>
/// The daemon's settings, from a JSON config file (<c>--config</c>; keys <c>socket</c>, <c>socket_group</c>,
/// <c>disks_root</c>, <c>backing_roots</c>, <c>portal</c>, <c>state</c>, <c>log_level</c>, <c>log_format</c>, <c>metrics_address</c>, and the iSCSI connection timeouts
/// <c>login_timeout</c>, <c>nopin_timeout</c>, <c>nopin_response_timeout</c>, and the iSCSI limits <c>queue_depth</c>,
/// <c>session_buffer_mib</c>, <c>buffer_budget_mib</c>, <c>max_sessions_per_target</c>, <c>max_sessions_per_initiator</c>,
/// <c>max_connections_per_portal</c>, and who may log in: <c>allowed_initiators</c>, <c>chap_user</c>, <c>chap_password</c>,
/// <c>mutual_chap_user</c>, <c>mutual_chap_password</c>) overridden by command-line flags.
/// </summary>
internal sealed record DaemonOptions
{
    /// <summary>The path the original daemon and its clients use.</summary>
    public const string DefaultSocketPath = "/tmp/qcow2target.sock";

    public string SocketPath { get; init; } = DefaultSocketPath;

    public string? SocketGroup { get; init; }

    public string DisksRoot { get; init; } = "/var/lib/qcow2target/disks";

    /// <summary>Folders besides the disks root that backing files and external data files may lie in.</summary>
    public IReadOnlyList<string> BackingRoots { get; init; } = [];

    public IPEndPoint Portal { get; init; } = new(IPAddress.Any, 3260);

    public string? StateFile { get; init; } = "/var/lib/qcow2target/state.json";

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    public ConnectionTimeouts Timeouts { get; init; } = ConnectionTimeouts.Default;

    /// <summary>The bounds on sessions, connections and the data their commands hold.</summary>
    public IscsiLimits Limits { get; init; } = IscsiLimits.Default;

    /// <summary>Where Prometheus scrapes <c>/metrics</c> (plain HTTP, no authentication); off when null.</summary>
    public IPEndPoint? MetricsAddress { get; init; }

    /// <summary>The console log's format: <c>text</c> or <c>json</c>.</summary>
    public string LogFormat { get; init; } = "text";

    /// <summary>Who may log in to every target the daemon creates or restores.</summary>
    public AccessSettings Access { get; init; } = new();

    /// <summary>Check the settings, print a summary and exit, instead of serving.</summary>
    public bool CheckOnly { get; init; }

    /// <exception cref="ArgumentException">A flag or config key is unknown or has an invalid value; the message names it.</exception>
    public static DaemonOptions Parse(IReadOnlyList<string> args)
    {
        var options = new DaemonOptions();
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--check-config")
            {
                options = options with { CheckOnly = true };
                continue;
            }

            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            string key = eq > 0 ? arg[..eq] : arg;
            if (key is not ("--config" or "--socket" or "--socket-group" or "--disks-root" or "--portal" or "--state" or "--log-level" or "--log-format" or "--metrics-address")
                && !(key.StartsWith("--", StringComparison.Ordinal) && AccessSettings.Keys.Contains(key[2..].Replace('-', '_'))))
            {
                throw new ArgumentException($"unknown option '{arg}'");
            }

            flags[key] = eq > 0 ? arg[(eq + 1)..] : (++i < args.Count ? args[i] : throw new ArgumentException($"option '{key}' needs a value"));
        }

        if (flags.TryGetValue("--config", out string? config))
        {
            options = options.Apply(ReadConfig(config), Path.GetDirectoryName(Path.GetFullPath(config))!);
        }

        return options.Apply(flags.Where(f => f.Key != "--config").ToDictionary(f => f.Key[2..].Replace('-', '_'), f => f.Value), Directory.GetCurrentDirectory());
    }

    private static Dictionary<string, string> ReadConfig(string path)
    {
        JObject json;
        try
        {
            json = JObject.Parse(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Newtonsoft.Json.JsonException)
        {
            throw new ArgumentException($"cannot read config file '{path}': {ex.Message}", ex);
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in json)
        {
            values[key] = value switch
            {
                JValue { Value: not null } v => Convert.ToString(v.Value, CultureInfo.InvariantCulture)!,
                JArray list when key == "allowed_initiators" && list.All(i => i.Type == JTokenType.String) => string.Join(',', list.Values<string>()),
                JArray when key == "allowed_initiators" => throw new ArgumentException($"config key '{key}' must be a list of strings"),
                JArray list when key == "backing_roots" && list.All(e => e.Type == JTokenType.String) => string.Join('\0', list.Select(e => (string)e!)),
                _ when key == "backing_roots" => throw new ArgumentException("config key 'backing_roots' must be a list of folders"),
                _ => throw new ArgumentException($"config key '{key}' must be a string or a number"),
            };
        }

        return values;
    }

    /// <summary>Applies settings; relative paths are taken from <paramref name="baseFolder"/>.</summary>
    private DaemonOptions Apply(Dictionary<string, string> values, string baseFolder)
    {
        var options = this;
        foreach (var (key, value) in values)
        {
            options = key switch
            {
                "socket" => options with { SocketPath = Path.GetFullPath(value, baseFolder) },
                "socket_group" => options with { SocketGroup = value },
                "disks_root" => options with { DisksRoot = Path.GetFullPath(value, baseFolder) },
                "backing_roots" => options with { BackingRoots = [.. value.Split(value.Contains('\0', StringComparison.Ordinal) ? '\0' : ':', StringSplitOptions.RemoveEmptyEntries).Select(r => Path.GetFullPath(r, baseFolder))] },
                "portal" => options with { Portal = ParsePortal(value) },
                "state" => options with { StateFile = value.Length == 0 ? null : Path.GetFullPath(value, baseFolder) },
                "login_timeout" => options with { Timeouts = options.Timeouts with { Login = ConnectionTimeouts.ParseSeconds(key, value) } },
                "nopin_timeout" => options with { Timeouts = options.Timeouts with { NopInInterval = ConnectionTimeouts.ParseSeconds(key, value) } },
                "nopin_response_timeout" => options with { Timeouts = options.Timeouts with { NopInResponse = ConnectionTimeouts.ParseSeconds(key, value) } },
                _ when AccessSettings.Keys.Contains(key) => options with { Access = options.Access.With(key, value) },
                _ when IscsiLimits.SettingKeys.Contains(key) => options with { Limits = options.Limits.WithSetting(key, value) },
                "log_level" => options with { LogLevel = Enum.TryParse<LogLevel>(value, ignoreCase: true, out var level) ? level : throw new ArgumentException($"log_level: unknown level '{value}'") },
                "log_format" => options with { LogFormat = Hosting.ConsoleLogging.ParseFormat(value) },
                "metrics_address" => options with { MetricsAddress = value.Length == 0 ? null : ParseEndPoint(key, value) },
                _ => throw new ArgumentException($"unknown config key '{key}'"),
            };
        }

        return options;
    }

    /// <summary>What <c>--check-config</c> prints: the settings in effect, one per line.</summary>
    public string Summary() => string.Join('\n',
        "configuration OK",
        $"socket: {SocketPath}" + (SocketGroup is null ? string.Empty : $" (group {SocketGroup})"),
        $"disks_root: {DisksRoot}",
        $"backing_roots: {(BackingRoots.Count == 0 ? "(none: chains stay in disks_root)" : string.Join(", ", BackingRoots))}",
        $"portal: {Portal}",
        $"state: {StateFile ?? "(none)"}",
        $"metrics_address: {(MetricsAddress is null ? "(off)" : MetricsAddress.ToString())}",
        $"log_level: {LogLevel}, log_format: {LogFormat}",
        $"login_timeout: {Timeouts.Login.TotalSeconds}s, nopin_timeout: {Timeouts.NopInInterval.TotalSeconds}s, nopin_response_timeout: {Timeouts.NopInResponse.TotalSeconds}s",
        Limits.Describe(),
        Access.Describe());

    private static IPEndPoint ParsePortal(string value) => ParseEndPoint("portal", value);

    private static IPEndPoint ParseEndPoint(string key, string value) =>
        IPEndPoint.TryParse(value, out var endPoint) && endPoint.Port != 0
            ? endPoint
            : throw new ArgumentException($"{key}: '{value}' is not ADDRESS:PORT");
}
