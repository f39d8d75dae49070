using System.Runtime.InteropServices;

namespace Targetd.Storage.Interop;

/// <summary>realpath(3): the canonical path with every symbolic link resolved.</summary>
internal static partial class LinuxPath
{
    /// <summary>The canonical form of an existing path, or null when it does not exist or cannot be resolved.</summary>
    public static string? RealPath(string path)
    {
        nint resolved = RealPathNative(path, 0);
        if (resolved == 0)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPathNative(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);
}
