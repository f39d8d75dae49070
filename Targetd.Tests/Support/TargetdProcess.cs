using System.Diagnostics;
using System.Text;
using Newtonsoft.Json.Linq;

namespace Targetd.Tests.Support;

/// <summary>A real <c>targetd</c> process on loopback ports, configured by a generated targetd.yaml.</summary>
internal sealed class TargetdProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private TargetdProcess(Process process, int port, int portal)
    {
        _process = process;
        Port = port;
        PortalPort = portal;
    }

    public int Port { get; }

    public int PortalPort { get; }

    /// <summary>The daemon's process id, for signals.</summary>
    public int ProcessId => _process.Id;

    public TargetdRpcClient Rpc => new(new Uri($"http://127.0.0.1:{Port}/"));

    public const string TargetName = "iqn.2024-01.net.targetd:test";

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static async Task<TargetdProcess> StartAsync(string folder, string extraYaml = "")
    {
        int port = Qcow2TargetDaemon.FreePort();
        int portal = Qcow2TargetDaemon.FreePort();
        Directory.CreateDirectory(Path.Combine(folder, "images"));
        string config = Path.Combine(folder, "targetd.yaml");
        await File.WriteAllTextAsync(config, $"""
            user: admin
            password: secret
            image_pools:
              images: images
            target_name: iqn.2024-01.net.targetd:test
            portal_addresses: [127.0.0.1:{portal}]
            listen_address: 127.0.0.1
            port: {port}
            state_file: state.json
            {extraYaml}
            """);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Qcow2TargetDaemon.HostExecutable("Targetd.Host.Http", "targetd.dll"));
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(config);
        var process = Process.Start(start)!;
        var targetd = new TargetdProcess(process, port, portal);
        process.OutputDataReceived += (_, e) => targetd.Append(e.Data);
        process.ErrorDataReceived += (_, e) => targetd.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!targetd.Log.Contains("started server", StringComparison.Ordinal))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("targetd did not start: " + targetd.Log);
            }

            await Task.Delay(50);
        }

        return targetd;
    }

    /// <summary>Sends one JSON-RPC request (as admin:secret) and returns the whole reply.</summary>
    public Task<JObject> RequestAsync(string method, object parameters) => Rpc.RequestAsync(method, parameters);

    /// <summary>Calls a method and asserts that it succeeded (or, with <paramref name="expectError"/>, that it failed).</summary>
    public Task<JObject> CallAsync(string method, object parameters, bool expectError = false) => Rpc.CallAsync(method, parameters, expectError);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}
