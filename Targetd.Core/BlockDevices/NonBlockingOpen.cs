using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Targetd.Core.BlockDevices;

/// <summary>
/// open(2) with O_NONBLOCK, cleared once the file is open: a path swapped for a FIFO after it was checked opens at
/// once (and is then refused by its type) instead of blocking the caller until a writer comes. For a regular file
/// or a block device the flag changes nothing, and it is off again before any I/O.
/// </summary>
public static partial class NonBlockingOpen
{
    private const int ReadOnly = 0x0;
    private const int ReadWrite = 0x2;
    private const int NonBlocking = 0x800;
    private const int CloseOnExec = 0x80000;
    private const int GetFlags = 3;
    private const int SetFlags = 4;
    private const int EINTR = 4;

    /// <summary>Opens an existing file for reading, or reading and writing.</summary>
    /// <param name="path">The file.</param>
    /// <param name="writable">Open it for writing too.</param>
    /// <returns>The open file.</returns>
    /// <exception cref="IOException">It cannot be opened (the message carries the path and the system's reason).</exception>
    public static SafeFileHandle Open(string path, bool writable)
    {
        if (!OperatingSystem.IsLinux())
        {
            return File.OpenHandle(path, FileMode.Open, writable ? FileAccess.ReadWrite : FileAccess.Read, FileShare.ReadWrite);
        }

        int fd;
        do
        {
            fd = OpenNative(path, (writable ? ReadWrite : ReadOnly) | NonBlocking | CloseOnExec, 0);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);

        if (fd < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            var reason = new IOException($"Cannot open '{path}': {Marshal.GetPInvokeErrorMessage(error)}", error);
            throw error == 2 /* ENOENT */ ? new FileNotFoundException(reason.Message, path, reason) : reason;
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        int flags = Fcntl(fd, GetFlags, 0);
        if (flags < 0 || Fcntl(fd, SetFlags, flags & ~NonBlocking) < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new IOException($"Cannot set the mode of '{path}': {Marshal.GetPInvokeErrorMessage(error)}", error);
        }

        return handle;
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenNative(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}
