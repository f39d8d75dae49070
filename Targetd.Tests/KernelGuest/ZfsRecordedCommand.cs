namespace Targetd.Tests.KernelGuest;

/// <summary>One recorded <c>zfs</c> command: its arguments (after <c>zfs</c>) and what real OpenZFS printed.</summary>
internal sealed record ZfsRecordedCommand(string Name, string[] Arguments, string StandardOutput, string StandardError, int ExitCode)
{
    public override string ToString() => Name;
}
