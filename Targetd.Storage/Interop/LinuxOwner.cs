using System.Runtime.InteropServices;

namespace Targetd.Storage.Interop;

/// <summary>chown(2).</summary>
internal static partial class LinuxOwner
{
    /// <summary>Changes a path's owner and group (-1 keeps one); throws with errno's text on failure.</summary>
    /// <exception cref="IOException">The change was refused.</exception>
    public static void Change(string path, int uid, int gid)
    {
        if (Chown(path, uid, gid) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"chown {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, int uid, int gid);
}
