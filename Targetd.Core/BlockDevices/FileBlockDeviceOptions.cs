namespace Targetd.Core.BlockDevices;

/// <summary>How <see cref="FileBlockDevice"/> opens its file.</summary>
public sealed record FileBlockDeviceOptions
{
    /// <summary>Open for reading only.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>The logical block size reported to initiators.</summary>
    public int LogicalBlockSize { get; init; } = 512;

    /// <summary>
    /// Reads and writes up to this many bytes are first tried on the calling thread with RWF_NOWAIT (preadv2(2),
    /// pwritev2(2)): what the page cache can serve at once completes there, anything that would wait for the disk
    /// or a lock goes to the thread pool as usual. Linux has no asynchronous buffered file I/O (an "asynchronous"
    /// pread is a blocking pread on a pool thread), and the hand-off to another thread and back costs more than a
    /// cached read or write. Where a file system does not offer RWF_NOWAIT for buffered writes (ext4), writes up
    /// to 64 KiB are written on the calling thread all the same. 0 sends every operation to the thread pool.
    /// </summary>
    public int InlineIoLimit { get; init; } = 1024 * 1024;

    /// <summary>
    /// Take QEMU's image locks (<see cref="ImageFileLock"/>, as QEMU's file-posix driver does): a writable device
    /// refuses, and is refused by, any other writer of the file (in this process or another, QEMU's tools
    /// included); a read-only one refuses writers. False shares the file as <c>qemu-img -U</c> does. Default: true.
    /// </summary>
    public bool Lock { get; init; } = true;
}
