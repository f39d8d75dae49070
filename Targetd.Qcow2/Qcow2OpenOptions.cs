namespace Targetd.Qcow2;

/// <summary>How <see cref="Qcow2Image.OpenAsync"/> opens an image. The defaults open it read-write with its backing chain.</summary>
public sealed record Qcow2OpenOptions
{
    /// <summary>The default bound on cached metadata per image: 32 MiB.</summary>
    public const long DefaultMetadataCacheBytes = 32L * 1024 * 1024;

    /// <summary>Open for reading only. Default: false (read-write).</summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// Memory for cached L2 tables and refcount blocks (three quarters and one quarter of it). Default:
    /// <see cref="DefaultMetadataCacheBytes"/> (32 MiB).
    /// </summary>
    public long MetadataCacheBytes { get; init; } = DefaultMetadataCacheBytes;

    /// <summary>
    /// Check the image's metadata before the first write and refuse a read-write open when it finds
    /// corruption (leaks are harmless and accepted). Default: true.
    /// </summary>
    public bool VerifyBeforeWriting { get; init; } = true;

    /// <summary>
    /// Show an internal snapshot (by id or name) instead of the current content; needs <see cref="ReadOnly"/>.
    /// Default: null, the current content.
    /// </summary>
    public string? Snapshot { get; init; }

    /// <summary>Open the backing chain; when false, unallocated clusters read as zeroes. Default: true.</summary>
    public bool OpenBackingFile { get; init; } = true;

    /// <summary>The logical block size reported through <see cref="Core.BlockDevices.IBlockDevice"/>. Default: 512.</summary>
    public int LogicalBlockSize { get; init; } = 512;

    /// <summary>
    /// Take QEMU's image locks on every file of the chain for as long as the image is open, as QEMU's file-posix
    /// driver does (<see cref="Core.BlockDevices.ImageFileLock"/>): the image opened for writing refuses, and is
    /// refused by, every other writer (in this process or another, qemu-img and a running VM included); backing and
    /// read-only files refuse writers. False shares the files as <c>qemu-img -U</c> does, for reading only. Default: true.
    /// </summary>
    public bool Lock { get; init; } = true;

    /// <summary>
    /// What files the chain may reach: allowed folders, depth, block devices (<see cref="Qcow2ChainPolicy"/>). Default:
    /// <see cref="Qcow2ChainPolicy.Unconfined"/>, any path as qemu-img follows it, with loops, FIFOs and chains deeper
    /// than 16 refused.
    /// </summary>
    public Qcow2ChainPolicy ChainPolicy { get; init; } = Qcow2ChainPolicy.Unconfined;

    /// <summary>
    /// How long the metadata walk of a read-write open may take: the check of <see cref="VerifyBeforeWriting"/> and
    /// the refcount rebuild of an image left dirty by lazy refcounts. An image whose walk takes longer is refused (a
    /// <see cref="Qcow2FormatException"/> that says so) rather than holding its caller for as long as a hostile
    /// table makes it last. Null for no limit; <see cref="TimeSpan.Zero"/> refuses every read-write open at once.
    /// Default: 2 minutes.
    /// </summary>
    public TimeSpan? CheckTimeLimit { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Sees every write and flush to the image's files (tests only). Default: null.</summary>
    internal Metadata.IHostFileTap? Tap { get; init; }
}
