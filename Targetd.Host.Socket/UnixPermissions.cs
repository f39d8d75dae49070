using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Targetd.Host.Socket;

/// <summary>
/// The file calls the BCL lacks: group lookup, lchown(2), lstat (statx(2) without following a link), mkdtemp(3),
/// rename(2) and renameat2(2) with RENAME_NOREPLACE, and binding a UNIX socket the BCL does not remove when it is closed.
/// </summary>
internal static unsafe partial class UnixPermissions
{
    private const int CurrentFolder = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7FF;
    private const uint RenameNoReplace = 1;
    private const int ENOENT = 2;
    private const int EEXIST = 17;
    private const int EINVAL = 22;
    private const int ENOSYS = 38;

    /// <summary>The gid of a group name, or null when there is no such group.</summary>
    public static uint? GroupId(string name)
    {
        if (uint.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uint numeric))
        {
            return numeric;
        }

        nint group = GetGroupByName(name);
        // struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; ... } on 64-bit Linux.
        return group == 0 ? null : (uint)Marshal.ReadInt32(group, 2 * IntPtr.Size);
    }

    /// <summary>Changes the group of a path without following a symbolic link.</summary>
    public static void ChangeGroup(string path, uint gid)
    {
        if (LChown(path, uint.MaxValue, gid) != 0)
        {
            throw new IOException($"Cannot give '{path}' to group {gid} (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>The uid the process acts as.</summary>
    public static uint EffectiveUserId => GetEffectiveUserId();

    /// <summary>What is at a path itself (a symbolic link is not followed), or null when nothing is.</summary>
    /// <exception cref="IOException">The path cannot be examined.</exception>
    public static UnixFileStatus? Status(string path)
    {
        byte* buffer = stackalloc byte[256];
        if (Statx(CurrentFolder, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == ENOENT ? null : throw Error("lstat", path, errno);
        }

        // struct statx: stx_uid at 20, stx_mode at 28, stx_ino at 32, stx_dev_major and stx_dev_minor at 136 and 140.
        ulong device = ((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140);
        return new UnixFileStatus(*(ushort*)(buffer + 28) & 0xF000u, *(uint*)(buffer + 20), device, *(ulong*)(buffer + 32));
    }

    /// <summary>Creates a new folder, owner-only, named <paramref name="prefix"/> and six random characters (mkdtemp(3)); never an existing one.</summary>
    /// <exception cref="IOException">It cannot be created.</exception>
    public static string CreateUniqueFolder(string prefix)
    {
        byte[] template = Encoding.UTF8.GetBytes(prefix + "XXXXXX\0");
        fixed (byte* name = template)
        {
            if (MakeTempFolder(name) == 0)
            {
                throw Error("mkdtemp", prefix + "XXXXXX", Marshal.GetLastPInvokeError());
            }
        }

        return Encoding.UTF8.GetString(template, 0, template.Length - 1);
    }

    /// <summary>Renames a file onto a path where nothing is; false when something is there by now.</summary>
    /// <exception cref="IOException">The rename failed otherwise.</exception>
    public static bool RenameIfAbsent(string from, string to)
    {
        if (RenameAt2(CurrentFolder, from, CurrentFolder, to, RenameNoReplace) == 0)
        {
            return true;
        }

        int errno = Marshal.GetLastPInvokeError();
        if (errno is EINVAL or ENOSYS)
        {
            // The file system cannot rename without replacing: link(2) never replaces either.
            if (Link(from, to) != 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return errno == EEXIST ? false : throw Error("link", to, errno);
            }

            File.Delete(from);
            return true;
        }

        return errno == EEXIST ? false : throw Error("rename", to, errno);
    }

    /// <summary>rename(2): replaces what is at <paramref name="to"/> (a symbolic link itself, never its target).</summary>
    /// <exception cref="IOException">The rename failed.</exception>
    public static void Rename(string from, string to)
    {
        if (RenameNative(from, to) != 0)
        {
            throw Error("rename", to, Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>
    /// A UNIX stream socket bound at <paramref name="path"/>. Bound with bind(2) itself, so that closing it does not
    /// unlink the path it was bound at (as the BCL does with the sockets it binds): that path may name something else by then.
    /// </summary>
    /// <exception cref="IOException">The socket cannot be made or bound, or the path is too long.</exception>
    public static SafeSocketHandle BindUnixSocket(string path)
    {
        const int afUnix = 1;
        const int sockStream = 1;
        const int sockCloseOnExec = 0x80000;
        const int pathCapacity = 108;
        byte[] name = Encoding.UTF8.GetBytes(path);
        if (name.Length >= pathCapacity)
        {
            throw new IOException($"The path '{path}' is too long for a UNIX socket ({name.Length} bytes, at most {pathCapacity - 1}).");
        }

        int fd = SocketNative(afUnix, sockStream | sockCloseOnExec, 0);
        if (fd < 0)
        {
            throw Error("socket", path, Marshal.GetLastPInvokeError());
        }

        var handle = new SafeSocketHandle(fd, ownsHandle: true);
        // struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; }
        byte* address = stackalloc byte[2 + pathCapacity];
        new Span<byte>(address, 2 + pathCapacity).Clear();
        *(ushort*)address = afUnix;
        name.CopyTo(new Span<byte>(address + 2, pathCapacity));
        if (BindNative(fd, address, (uint)(2 + name.Length + 1)) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw Error("bind", path, errno);
        }

        return handle;
    }

    private static IOException Error(string call, string path, int errno) =>
        new($"{call} '{path}': {Marshal.GetPInvokeErrorMessage(errno)}");

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int SocketNative(int family, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int BindNative(int fd, byte* address, uint length);

    [LibraryImport("libc", EntryPoint = "getgrnam", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetGroupByName(string name);

    [LibraryImport("libc", EntryPoint = "lchown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LChown(string path, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int folder, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "mkdtemp", SetLastError = true)]
    private static partial nint MakeTempFolder(byte* template);

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt2(int fromFolder, string from, int toFolder, string to, uint flags);

    [LibraryImport("libc", EntryPoint = "rename", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameNative(string from, string to);

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string from, string to);
}
