using System.Runtime.InteropServices;
using System.Text;

namespace Targetd.Storage.Interop;

/// <summary>
/// The *at(2) calls that work relative to an open folder and never follow a symbolic link where told not to:
/// openat, unlinkat, statx, fchmod, fchmodat, and readdir(3) over a handle. Names are raw bytes, as the kernel has them.
/// </summary>
internal static unsafe partial class LinuxDirectory
{
    public const int ENOENT = 2;
    public const int EACCES = 13;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int ENOTEMPTY = 39;
    public const int ELOOP = 40;

    /// <summary>The current folder as a folder handle.</summary>
    public const int CurrentFolder = -100;

    private const int EINTR = 4;
    private const int OReadOnly = 0;
    private const int OCloseOnExec = 0x80000;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtRemoveDir = 0x200;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7FF;
    private const int StatxSize = 256;
    private const int DirentTypeOffset = 18;
    private const int DirentNameOffset = 19;
    private const byte DirentFolder = 4;

    // O_DIRECTORY and O_NOFOLLOW: arm, arm64 and ppc64le have their own values; the others use the generic ones.
    private static readonly bool s_armLayout = RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64 or Architecture.Armv6 or Architecture.Ppc64le;
    private static readonly int s_oDirectory = s_armLayout ? 0x4000 : 0x10000;
    private static readonly int s_oNoFollow = s_armLayout ? 0x8000 : 0x20000;

    /// <summary>A name as the calls take it: UTF-8, NUL-terminated.</summary>
    public static byte[] NameOf(string name) => Encoding.UTF8.GetBytes(name + "\0");

    /// <summary>A name for messages.</summary>
    public static string Text(byte[] name) => Encoding.UTF8.GetString(name.AsSpan(0, name.Length - 1));

    /// <summary>
    /// Opens a folder below <paramref name="folder"/> for reading; returns the handle, or -errno (ENOTDIR or ELOOP when
    /// the name is a file or a symbolic link, which is never followed unless <paramref name="followLinks"/>).
    /// </summary>
    public static int OpenFolder(int folder, byte[] name, bool followLinks = false)
    {
        int flags = OReadOnly | s_oDirectory | OCloseOnExec | (followLinks ? 0 : s_oNoFollow);
        fixed (byte* path = name)
        {
            while (true)
            {
                int fd = OpenAt(folder, path, flags, 0);
                if (fd >= 0)
                {
                    return fd;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno != EINTR)
                {
                    return -errno;
                }
            }
        }
    }

    /// <summary>unlinkat(2): a file or a symbolic link (itself), or an empty folder with <paramref name="folderEntry"/>; 0 or errno.</summary>
    public static int Unlink(int folder, byte[] name, bool folderEntry)
    {
        fixed (byte* path = name)
        {
            return UnlinkAt(folder, path, folderEntry ? AtRemoveDir : 0) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>Gives the owner full rights on an open folder (fchmod 0700); false when refused.</summary>
    public static bool MakeOwnerWritable(int fd) => FChmod(fd, 0x1C0) == 0;

    /// <summary>Gives the owner full rights on an entry without following a symbolic link; false when refused.</summary>
    public static bool MakeOwnerWritable(int folder, byte[] name)
    {
        fixed (byte* path = name)
        {
            return FChmodAt(folder, path, 0x1C0, AtSymlinkNoFollow) == 0;
        }
    }

    /// <summary>The device and inode of an open handle.</summary>
    /// <exception cref="IOException">statx failed.</exception>
    public static (ulong Device, ulong Inode) Identify(int fd)
    {
        byte* buffer = stackalloc byte[StatxSize];
        byte empty = 0;
        if (Statx(fd, &empty, AtEmptyPath, StatxBasicStats, buffer) != 0)
        {
            throw Error("statx", "(handle)", Marshal.GetLastPInvokeError());
        }

        // struct statx: stx_ino at 32, stx_dev_major and stx_dev_minor at 136 and 140.
        ulong device = ((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140);
        return (device, *(ulong*)(buffer + 32));
    }

    /// <summary>
    /// The entries of an open folder (not "." nor ".."), read through a handle of their own, each with whether
    /// readdir called it a folder (a file system that does not say reports a folder as not one).
    /// </summary>
    /// <exception cref="IOException">The folder cannot be read.</exception>
    public static List<(byte[] Name, bool IsFolder)> ReadEntries(int folder)
    {
        int scan = OpenFolder(folder, [(byte)'.', 0], followLinks: true);
        if (scan < 0)
        {
            throw Error("open", ".", -scan);
        }

        nint stream = FdOpenDir(scan);
        if (stream == 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            _ = Close(scan);
            throw Error("fdopendir", ".", errno);
        }

        var entries = new List<(byte[], bool)>();
        try
        {
            while (true)
            {
                byte* entry = ReadDir(stream);
                if (entry == null)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    return errno == 0 ? entries : throw Error("readdir", ".", errno);
                }

                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry + DirentNameOffset);
                if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
                {
                    continue;
                }

                entries.Add(([.. name, 0], entry[DirentTypeOffset] == DirentFolder));
            }
        }
        finally
        {
            _ = CloseDir(stream);
        }
    }

    /// <summary>Closes a handle.</summary>
    public static void CloseHandle(int fd) => _ = Close(fd);

    /// <summary>An IOException naming the call, the entry and errno's text.</summary>
    public static IOException Error(string call, string name, int errno) =>
        new($"{call} '{name}': {Marshal.GetPInvokeErrorMessage(errno)}");

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static partial int OpenAt(int folder, byte* path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    private static partial int UnlinkAt(int folder, byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static partial int Statx(int folder, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static partial int FChmod(int fd, uint mode);

    [LibraryImport("libc", EntryPoint = "fchmodat", SetLastError = true)]
    private static partial int FChmodAt(int folder, byte* path, uint mode, int flags);

    [LibraryImport("libc", EntryPoint = "fdopendir", SetLastError = true)]
    private static partial nint FdOpenDir(int fd);

    [LibraryImport("libc", EntryPoint = "readdir", SetLastError = true)]
    private static partial byte* ReadDir(nint stream);

    [LibraryImport("libc", EntryPoint = "closedir")]
    private static partial int CloseDir(nint stream);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
