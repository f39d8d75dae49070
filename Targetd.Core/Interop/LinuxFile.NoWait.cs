using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Targetd.Core.Interop;

/// <content>
/// preadv2(2)/pwritev2(2) with RWF_NOWAIT: "If this flag is specified, the preadv2() system call will return
/// instantly if it would have to read data from the backing storage or wait for a lock" (preadv2(2)). A buffered
/// read served by the page cache completes on the calling thread; anything that would wait is left to the caller.
/// </content>
internal static partial class LinuxFile
{
    private const int RwfNoWait = 0x08;

    private static int _noWaitWritesUnsupported;

    /// <summary>
    /// Reads what the page cache holds at <paramref name="offset"/> without waiting: the bytes read (possibly fewer
    /// than asked, 0 at end of file), or -1 when nothing could be read without waiting or the call failed (the caller
    /// then reads the ordinary way, which reports any real error).
    /// </summary>
    public static unsafe int TryReadWithoutWaiting(SafeFileHandle handle, Span<byte> destination, long offset)
    {
        fixed (byte* buffer = destination)
        {
            return (int)VectorCall(handle, buffer, destination.Length, offset, write: false);
        }
    }

    /// <summary>Whether RWF_NOWAIT writes have not (yet) been refused by a file system here.</summary>
    public static bool NoWaitWritesSupported => Volatile.Read(ref _noWaitWritesUnsupported) == 0;

    /// <summary>
    /// Writes into the page cache without waiting: the bytes written (possibly fewer than asked), or -1 when the
    /// write would wait (block allocation, writeback throttling, a lock) or the file system does not offer it.
    /// </summary>
    public static unsafe int TryWriteWithoutWaiting(SafeFileHandle handle, ReadOnlySpan<byte> source, long offset)
    {
        if (Volatile.Read(ref _noWaitWritesUnsupported) != 0)
        {
            return -1;
        }

        fixed (byte* buffer = source)
        {
            return (int)VectorCall(handle, buffer, source.Length, offset, write: true);
        }
    }

    private static unsafe long VectorCall(SafeFileHandle handle, byte* buffer, int length, long offset, bool write)
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }

        var vector = new IoVector { Base = buffer, Length = (nuint)length };
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            int fd = (int)handle.DangerousGetHandle();
            nint result = write ? PWriteV2(fd, &vector, 1, offset, RwfNoWait) : PReadV2(fd, &vector, 1, offset, RwfNoWait);
            if (result >= 0)
            {
                return result;
            }

            // EOPNOTSUPP (95): this file system cannot write without waiting; do not ask again.
            if (write && Marshal.GetLastPInvokeError() == 95)
            {
                Volatile.Write(ref _noWaitWritesUnsupported, 1);
            }

            return -1;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "preadv2", SetLastError = true)]
    private static unsafe partial nint PReadV2(int fd, IoVector* vector, int count, long offset, int flags);

    [LibraryImport("libc", EntryPoint = "pwritev2", SetLastError = true)]
    private static unsafe partial nint PWriteV2(int fd, IoVector* vector, int count, long offset, int flags);

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }
}
