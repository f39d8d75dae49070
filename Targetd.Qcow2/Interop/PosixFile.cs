using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Targetd.Qcow2.Interop;

/// <summary>
/// realpath(3) and statx(2): the canonical path of a file, its type and its identity (device and inode). statx's
/// buffer has one layout on every architecture, unlike struct stat.
/// </summary>
internal static partial class PosixFile
{
    private const int AtFdCwd = -100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxIno = 0x100;
    private const int StatxBufferSize = 256;

    /// <summary>The canonical form of an existing path, or null when it does not exist or cannot be resolved.</summary>
    public static string? RealPath(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return File.Exists(path) || Directory.Exists(path) ? Path.GetFullPath(path) : null;
        }

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

    /// <summary>The type and identity of the file a path leads to (symbolic links followed), or null when it cannot be read.</summary>
    public static FileStatus? Stat(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return Directory.Exists(path) ? new FileStatus(PosixFileKind.Directory, 0, 0)
                : File.Exists(path) ? new FileStatus(PosixFileKind.Regular, 0, 0) : null;
        }

        Span<byte> buffer = stackalloc byte[StatxBufferSize];
        return StatxNative(AtFdCwd, path, 0, StatxType | StatxIno, ref MemoryMarshal.GetReference(buffer)) == 0 ? Decode(buffer) : null;
    }

    /// <summary>The type and identity of an open file, or null when it cannot be read.</summary>
    public static FileStatus? Stat(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            return new FileStatus(PosixFileKind.Regular, 0, 0);
        }

        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            Span<byte> buffer = stackalloc byte[StatxBufferSize];
            return StatxNative((int)handle.DangerousGetHandle(), string.Empty, AtEmptyPath, StatxType | StatxIno, ref MemoryMarshal.GetReference(buffer)) == 0
                ? Decode(buffer)
                : null;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    // struct statx: stx_mode (u16) at 28, stx_ino (u64) at 32, stx_dev_major and stx_dev_minor (u32) at 136 and 140.
    private static FileStatus Decode(ReadOnlySpan<byte> buffer)
    {
        int mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer[28..]);
        ulong inode = BinaryPrimitives.ReadUInt64LittleEndian(buffer[32..]);
        ulong device = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(buffer[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(buffer[140..]);
        if (!BitConverter.IsLittleEndian)
        {
            mode = BinaryPrimitives.ReadUInt16BigEndian(buffer[28..]);
            inode = BinaryPrimitives.ReadUInt64BigEndian(buffer[32..]);
            device = ((ulong)BinaryPrimitives.ReadUInt32BigEndian(buffer[136..]) << 32) | BinaryPrimitives.ReadUInt32BigEndian(buffer[140..]);
        }

        var kind = (mode & 0xF000) switch
        {
            0x8000 => PosixFileKind.Regular,
            0x4000 => PosixFileKind.Directory,
            0x6000 => PosixFileKind.BlockDevice,
            0x2000 => PosixFileKind.CharacterDevice,
            0x1000 => PosixFileKind.Fifo,
            0xC000 => PosixFileKind.Socket,
            0xA000 => PosixFileKind.SymbolicLink,
            _ => PosixFileKind.Other,
        };
        return new FileStatus(kind, device, inode);
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPathNative(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int StatxNative(int directory, string path, int flags, uint mask, ref byte buffer);
}
