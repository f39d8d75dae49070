namespace Targetd.Storage.Qcow2Target;

/// <summary>A disk of the state file that failed to open at start: it keeps its LUN, and LIST shows it with its error.</summary>
/// <param name="Path">The disk's canonical path.</param>
/// <param name="Error">Why it could not be opened.</param>
internal sealed record FailedDisk(string Path, string Error);
