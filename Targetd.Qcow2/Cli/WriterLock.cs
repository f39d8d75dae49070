using Targetd.Core.BlockDevices;

namespace Targetd.Qcow2.Cli;

/// <summary>
/// The lock a writing command (resize, check -r, snapshot -c/-a/-d) takes before it opens an image: QEMU's write
/// lock bytes (<see cref="ImageFileLock"/>), so an image a daemon serves, or a VM runs on, is refused as
/// <c>qemu-img</c> refuses it rather than written beside its user.
/// </summary>
internal static class WriterLock
{
    /// <summary>
    /// Locks the image for writing, or fails with qemu-img's message and exit status 1; null for a file that does not
    /// exist (opening it then fails as it would have).
    /// </summary>
    public static ImageFileLock? Acquire(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return ImageFileLock.Acquire(path, writable: true);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException && ex.Message.StartsWith("Failed to get", StringComparison.Ordinal))
        {
            string lockName = ex.Message[..ex.Message.IndexOf(" lock", StringComparison.Ordinal)]["Failed to get ".Length..];
            throw new CliException($"Could not open '{path}': Failed to get {lockName} lock\nIs another process using the image [{path}]?", ex);
        }
    }
}
