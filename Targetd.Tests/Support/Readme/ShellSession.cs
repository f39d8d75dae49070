using System.Diagnostics;
using System.Text;

namespace Targetd.Tests.Support.Readme;

/// <summary>
/// Runs commands with bash in one folder, as a reader typing them would: each command in a shell of its own,
/// daemons in the background (stopped with their whole process tree when the session ends).
/// </summary>
internal sealed class ShellSession(string folder) : IAsyncDisposable
{
    private readonly List<(Process Process, StringBuilder Log)> _daemons = [];

    public string Folder { get; } = folder;

    public async Task<(int ExitCode, string Output)> RunAsync(string command, TimeSpan timeout)
    {
        using var process = Start(command, out var output);
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{command}' did not end within {timeout}: {Text(output)}");
        }

        process.WaitForExit();
        return (process.ExitCode, Text(output));
    }

    /// <summary>Starts a daemon and waits until its output shows <paramref name="ready"/>.</summary>
    public async Task StartDaemonAsync(string command, string ready, TimeSpan timeout)
    {
        var process = Start(command, out var output);
        _daemons.Add((process, output));
        var deadline = DateTime.UtcNow + timeout;
        while (!Text(output).Contains(ready, StringComparison.Ordinal))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"'{command}' did not print '{ready}': {Text(output)}");
            }

            await Task.Delay(100);
        }
    }

    public async Task StopDaemonsAsync()
    {
        foreach (var (process, _) in _daemons)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        _daemons.Clear();
    }

    public string DaemonLogs => string.Join("\n", _daemons.Select(d => Text(d.Log)));

    public async ValueTask DisposeAsync() => await StopDaemonsAsync();

    private Process Start(string command, out StringBuilder output)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = Folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        start.Environment.Remove("TARGETD_PASSWORD");
        var log = new StringBuilder();
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        output = log;
        return process;
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.AppendLine(line);
            }
        }
    }

    private static string Text(StringBuilder log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }
}
