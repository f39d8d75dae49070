using System.Runtime.InteropServices;

namespace Targetd.Host.Socket;

/// <summary>The ownership calls the BCL lacks: group lookup and lchown(2).</summary>
internal static partial class UnixPermissions
{
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

    [LibraryImport("libc", EntryPoint = "getgrnam", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetGroupByName(string name);

    [LibraryImport("libc", EntryPoint = "lchown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LChown(string path, uint uid, uint gid);
}
