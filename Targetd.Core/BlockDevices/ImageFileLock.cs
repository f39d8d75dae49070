using Microsoft.Win32.SafeHandles;
using Targetd.Core.Interop;

namespace Targetd.Core.BlockDevices;

/// <summary>
/// The byte-range locks QEMU takes on an image in use (block/file-posix.c: byte 100 + i while holding
/// permission i, byte 200 + i while refusing to share it), so that QEMU's tools see our use of an image as
/// they see a running VM's: <c>qemu-img</c> refuses to write an image we serve, and we refuse one QEMU writes.
/// </summary>
public sealed class ImageFileLock : IDisposable
{
    private const int PermissionBase = 100;
    private const int SharedBase = 200;
    private const int ConsistentRead = 0;
    private const int Write = 1;
    private const int WriteUnchanged = 2;
    private const int Resize = 3;

    private readonly SafeFileHandle _handle;

    private ImageFileLock(SafeFileHandle handle) => _handle = handle;

    /// <summary>
    /// Locks an image for reading (sharing it with other readers and refusing writers) or for writing
    /// (refusing other writers and resizers). The locks live until disposal.
    /// </summary>
    /// <exception cref="ImageInUseException">Another open file (of this process or another) uses the image in a conflicting way.</exception>
    public static ImageFileLock Acquire(string path, bool writable)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var handle = NonBlockingOpen.Open(path, writable: false);
        try
        {
            int[] permissions = writable ? [ConsistentRead, Write, WriteUnchanged, Resize] : [ConsistentRead];
            int[] unshared = writable ? [Write, Resize] : [Write];
            if (!OperatingSystem.IsLinux())
            {
                return new ImageFileLock(handle);
            }

            foreach (int permission in permissions)
            {
                if (OfdLock.IsLockedByOthers(handle, SharedBase + permission))
                {
                    throw Conflict(path, permission, shared: false);
                }
            }

            foreach (int permission in unshared)
            {
                if (OfdLock.IsLockedByOthers(handle, PermissionBase + permission))
                {
                    throw Conflict(path, permission, shared: true);
                }
            }

            foreach (int offset in permissions.Select(p => PermissionBase + p).Concat(unshared.Select(p => SharedBase + p)))
            {
                if (!OfdLock.TryLockShared(handle, offset))
                {
                    throw Conflict(path, offset % 100, shared: offset >= SharedBase);
                }
            }

            return new ImageFileLock(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Releases the locks.</summary>
    public void Dispose() => _handle.Dispose();

    private static ImageInUseException Conflict(string path, int permission, bool shared) =>
        new(path, permission switch { ConsistentRead => "consistent read", Write => "write", WriteUnchanged => "write unchanged", _ => "resize" }, shared);
}
