using Targetd.Core.Processes;

namespace Targetd.Tests.Storage.Zfs;

/// <summary>Answers <c>zfs</c> command lines with what real OpenZFS printed for them (<see cref="ZfsOutputs"/>).</summary>
internal static class ZfsReplies
{
    /// <summary>Answers exactly <c>zfs ARGUMENTS</c> (split at spaces) with a recording.</summary>
    public static RecordingProcessRunner Replies(this RecordingProcessRunner runner, string arguments, string standardOutput, string standardError = "", int exitCode = 0)
    {
        string[] argv = arguments.Split(' ');
        return runner.When(c => c.FileName == "zfs" && c.Arguments.SequenceEqual(argv), new ProcessResult(exitCode, standardOutput, standardError));
    }

    /// <summary>The argv of every <c>zfs</c> command run that changes something (everything but <c>zfs get</c>).</summary>
    public static IEnumerable<string> Changes(this RecordingProcessRunner runner) =>
        runner.CommandLines.Where(l => !l.StartsWith("zfs get ", StringComparison.Ordinal));
}
