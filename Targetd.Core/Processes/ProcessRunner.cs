using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Targetd.Core.Processes;

/// <summary>Runs programs with <see cref="Process"/>, passing each argument as its own argv element.</summary>
public sealed partial class ProcessRunner : IProcessRunner
{
    private readonly ILogger _logger;

    /// <summary>Creates a runner that logs each command at debug level.</summary>
    public ProcessRunner(ILogger<ProcessRunner>? logger = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public async Task<ProcessResult> RunAsync(ProcessCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        var startInfo = new ProcessStartInfo(command.FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = command.StandardInput is not null,
        };
        foreach (string argument in command.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Commands whose output is parsed must not be translated.
        startInfo.Environment["LC_ALL"] = "C";

        using var process = new Process { StartInfo = startInfo };
        LogStarting(command);
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            LogNotStarted(command, ex.Message);
            return new ProcessResult(ProcessResult.NotStartedExitCode, string.Empty, $"{command.FileName}: {ex.Message}");
        }

        using var timeout = command.Timeout is { } limit ? new CancellationTokenSource(limit) : null;
        using var linked = timeout is null
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)
            : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var standardOutput = process.StandardOutput.ReadToEndAsync(linked.Token);
            var standardError = process.StandardError.ReadToEndAsync(linked.Token);
            if (command.StandardInput is not null)
            {
                await process.StandardInput.WriteAsync(command.StandardInput.AsMemory(), linked.Token).ConfigureAwait(false);
                process.StandardInput.Close();
            }

            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
            var result = new ProcessResult(
                process.ExitCode,
                await standardOutput.ConfigureAwait(false),
                await standardError.ConfigureAwait(false));
            LogExited(command, result.ExitCode);
            return result;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (timeout is not null && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{command} did not finish within {command.Timeout}.");
            }

            throw;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Running {Command}")]
    private partial void LogStarting(ProcessCommand command);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "{Command} exited with status {ExitCode}")]
    private partial void LogExited(ProcessCommand command, int exitCode);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Could not start {Command}: {Reason}")]
    private partial void LogNotStarted(ProcessCommand command, string reason);
}
