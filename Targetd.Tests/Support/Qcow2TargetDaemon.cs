using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Newtonsoft.Json.Linq;

namespace Targetd.Tests.Support;

/// <summary>A real <c>qcow2target serve</c> process on a private socket and a loopback portal.</summary>
internal sealed class Qcow2TargetDaemon : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private bool _disposed;

    private Qcow2TargetDaemon(Process process, string socketPath, int port)
    {
        _process = process;
        SocketPath = socketPath;
        Port = port;
    }

    public string SocketPath { get; }

    public int Port { get; }

    public int ProcessId => _process.Id;

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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The daemon in its own build output (beside its own dependencies), built with the same configuration as the tests.</summary>
    public static string Executable => HostExecutable("Targetd.Host.Socket", "qcow2target.dll");

    public static string HostExecutable(string project, string dll)
    {
        var tests = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        string framework = tests.Name;
        string configuration = tests.Parent!.Name;
        string root = tests.Parent.Parent!.Parent!.Parent!.FullName;
        return Path.Combine(root, project, "bin", configuration, framework, dll);
    }

    public static async Task<Qcow2TargetDaemon> StartAsync(string folder, string disksRoot, int? port = null, string? socketGroup = null, string? configFile = null)
    {
        int portal = port ?? FreePort();
        string socket = Path.Combine(folder, "control.sock");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { Executable, "serve", "--socket", socket, "--disks-root", disksRoot, "--portal", $"127.0.0.1:{portal}", "--state", Path.Combine(folder, "state.json"), "--log-level", "Information" })
        {
            start.ArgumentList.Add(argument);
        }

        if (configFile is not null)
        {
            start.ArgumentList.Add("--config");
            start.ArgumentList.Add(configFile);
        }

        if (socketGroup is not null)
        {
            start.ArgumentList.Add("--socket-group");
            start.ArgumentList.Add(socketGroup);
        }

        var process = Process.Start(start)!;
        var daemon = new Qcow2TargetDaemon(process, socket, portal);
        process.OutputDataReceived += (_, e) => daemon.Append(e.Data);
        process.ErrorDataReceived += (_, e) => daemon.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!daemon.Log.Contains("Serving control socket", StringComparison.Ordinal))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("qcow2target did not start: " + daemon.Log);
            }

            await Task.Delay(50);
        }

        return daemon;
    }

    /// <summary>Sends raw bytes on a fresh connection and returns every reply line until the daemon closes it or the timeout passes.</summary>
    public async Task<List<string>> SendRawAsync(byte[] bytes, bool halfClose = true, int timeoutMs = 10_000)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath));
        using var stream = new NetworkStream(socket);
        await socket.SendAsync(bytes);
        if (halfClose)
        {
            socket.Shutdown(SocketShutdown.Send);
        }

        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var timeout = new CancellationTokenSource(timeoutMs);
        var lines = new List<string>();
        try
        {
            while (await reader.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
            }
        }
        catch (OperationCanceledException)
        {
        }

        return lines;
    }

    public async Task<JObject> RequestAsync(string type, object? command = null)
    {
        var request = new JObject { ["type"] = type };
        if (command is not null)
        {
            request["command"] = JObject.FromObject(command);
        }

        var lines = await SendRawAsync(Encoding.UTF8.GetBytes(request.ToString(Newtonsoft.Json.Formatting.None) + "\n"));
        lines.Should().ContainSingle($"one reply to {type}; daemon log:\n{Log}");
        return JObject.Parse(lines[0]);
    }

    public async Task<JObject> OkAsync(string type, object? command = null)
    {
        var reply = await RequestAsync(type, command);
        ((string?)reply["error"]).Should().BeEmpty($"{type} must succeed");
        return (JObject)reply["result"]!;
    }

    /// <summary>Resident memory in KiB, from /proc.</summary>
    public long ResidentKilobytes()
    {
        string status = File.ReadAllText($"/proc/{_process.Id}/status");
        string line = status.Split('\n').First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The CPU time the process has used, user and system, from /proc/PID/stat (clock ticks of 10 ms).</summary>
    public TimeSpan CpuTime()
    {
        string stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture); // utime, stime
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    public bool HasExited => _process.HasExited;

    public void KillHard()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
