using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Targetd.Core.Interop;

/// <summary>Open file description byte-range locks (fcntl F_OFD_GETLK / F_OFD_SETLK), as QEMU uses them on images.</summary>
internal static partial class OfdLock
{
    private const int FOfdGetLk = 36;
    private const int FOfdSetLk = 37;
    private const short ReadLock = 0;
    private const short WriteLock = 1;
    private const short Unlocked = 2;

    /// <summary>Takes a shared lock on one byte; false if someone holds a conflicting lock.</summary>
    public static bool TryLockShared(SafeFileHandle handle, long offset) => Apply(handle, FOfdSetLk, ReadLock, offset) == 0;

    /// <summary>Whether another open file description holds any lock on the byte.</summary>
    public static bool IsLockedByOthers(SafeFileHandle handle, long offset)
    {
        var probe = new Flock { Type = WriteLock, Whence = 0, Start = offset, Length = 1 };
        return Fcntl(handle, FOfdGetLk, ref probe) == 0 && probe.Type != Unlocked;
    }

    private static int Apply(SafeFileHandle handle, int command, short type, long offset)
    {
        var request = new Flock { Type = type, Whence = 0, Start = offset, Length = 1 };
        return Fcntl(handle, command, ref request);
    }

    private static int Fcntl(SafeFileHandle handle, int command, ref Flock flock)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            return FcntlNative((int)handle.DangerousGetHandle(), command, ref flock);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int FcntlNative(int fd, int command, ref Flock flock);

    /// <summary>struct flock on 64-bit Linux: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Flock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Length;
        public int Pid;
    }
}
