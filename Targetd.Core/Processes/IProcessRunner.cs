namespace Targetd.Core.Processes;

/// <summary>Runs external programs (lvm, btrfs, exportfs, …) for the storage adapters.</summary>
public interface IProcessRunner
{
    /// <summary>
    /// Runs <paramref name="command"/> to completion and returns its status and output. A program that cannot
    /// be started yields exit status 127 and the reason on standard error; cancellation kills the program.
    /// </summary>
    Task<ProcessResult> RunAsync(ProcessCommand command, CancellationToken cancellationToken = default);
}
