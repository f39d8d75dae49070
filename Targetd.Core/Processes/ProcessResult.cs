using System.Globalization;
using Targetd.Core.Errors;

namespace Targetd.Core.Processes;

/// <summary>How a program ended and what it printed.</summary>
/// <param name="ExitCode">The exit status; 127 when the program could not be started.</param>
/// <param name="StandardOutput">Everything written to standard output.</param>
/// <param name="StandardError">Everything written to standard error.</param>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>The exit status a shell reports for a program it cannot find or start.</summary>
    public const int NotStartedExitCode = 127;

    /// <summary>A successful run with the given output.</summary>
    public static ProcessResult Success(string standardOutput = "") => new(0, standardOutput, string.Empty);

    /// <summary>Whether the program exited with status 0.</summary>
    public bool Succeeded => ExitCode == 0;

    /// <summary>Returns this result if the program succeeded.</summary>
    /// <exception cref="TargetdException">
    /// Code -303 (UNEXPECTED_EXIT_CODE) with targetd's message naming the command, its status and output.
    /// </exception>
    public ProcessResult EnsureSuccess(ProcessCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (Succeeded)
        {
            return this;
        }

        throw new TargetdException(TargetdErrorCode.UnexpectedExitCode, DescribeFailure(command));
    }

    /// <summary>targetd's message for a failed run: the command, its status and its output.</summary>
    public string DescribeFailure(ProcessCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        string output = (StandardOutput + StandardError).Trim();
        return string.Create(CultureInfo.InvariantCulture, $"Unexpected exit code \"{command}\" {ExitCode}, out= {output}");
    }
}
