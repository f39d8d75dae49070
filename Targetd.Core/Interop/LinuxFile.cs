using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Targetd.Core.Interop;

/// <summary>The few Linux file calls the BCL lacks: fallocate(2) and lseek(2) with SEEK_DATA/SEEK_HOLE.</summary>
internal static partial class LinuxFile
{
    /// <summary>fallocate(2) FALLOC_FL_KEEP_SIZE.</summary>
    public const int KeepSize = 0x01;

    /// <summary>fallocate(2) FALLOC_FL_PUNCH_HOLE (must be combined with KEEP_SIZE).</summary>
    public const int PunchHole = 0x02;

    /// <summary>fallocate(2) FALLOC_FL_ZERO_RANGE.</summary>
    public const int ZeroRange = 0x10;

    private const int SeekEnd = 2;
    private const int SeekData = 3;
    private const int SeekHole = 4;
    private const int ENXIO = 6;

    /// <summary>Calls fallocate(2); false when the file system does not support the mode.</summary>
    public static bool TryAllocate(SafeFileHandle handle, int mode, long offset, long length)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            int result;
            do
            {
                result = Fallocate((int)handle.DangerousGetHandle(), mode, offset, length);
            }
            while (result != 0 && Marshal.GetLastPInvokeError() == 4 /* EINTR */);

            return result == 0;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// The next data offset at or after <paramref name="offset"/> (SEEK_DATA), or -1 when only a hole follows,
    /// or null when the file system cannot tell.
    /// </summary>
    public static long? SeekToData(SafeFileHandle handle, long offset) => Seek(handle, offset, SeekData);

    /// <summary>The next hole at or after <paramref name="offset"/> (SEEK_HOLE); the end of file counts as a hole.</summary>
    public static long? SeekToHole(SafeFileHandle handle, long offset) => Seek(handle, offset, SeekHole);

    /// <summary>The size of a file or block device, through lseek(SEEK_END).</summary>
    public static long? SizeOf(SafeFileHandle handle) => Seek(handle, 0, SeekEnd);

    private static long? Seek(SafeFileHandle handle, long offset, int whence)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            long result = LSeek((int)handle.DangerousGetHandle(), offset, whence);
            if (result >= 0)
            {
                return result;
            }

            return Marshal.GetLastPInvokeError() == ENXIO ? -1 : null;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int Fallocate(int fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LSeek(int fd, long offset, int whence);
}
