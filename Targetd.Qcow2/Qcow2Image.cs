using System.Buffers.Binary;
using Targetd.Core.BlockDevices;
using Targetd.Qcow2.Format;
using Targetd.Qcow2.Metadata;

namespace Targetd.Qcow2;

/// <summary>
/// A qcow2 disk image (versions 2 and 3, as QEMU reads and writes them) used as an <see cref="IBlockDevice"/>:
/// guest reads, writes, zeroing and discards go to the virtual disk, which is thin, copy-on-write over internal
/// snapshots and backed by its backing chain.
/// </summary>
/// <remarks>
/// <para>
/// Open an existing image with <see cref="OpenAsync"/> (read-write by default, <see cref="Qcow2OpenOptions.ReadOnly"/>
/// for inspection or to show a snapshot) or make a new one with <see cref="CreateAsync"/>, which opens it
/// read-write. Dispose the image to close it: a writable image is flushed and left clean, so that
/// <c>qemu-img check</c> finds nothing. <see cref="FlushAsync"/> makes every earlier write durable. Besides
/// the block device, the image offers <see cref="CheckAsync(Qcow2RepairMode, CancellationToken)"/> (qemu-img
/// check's counts and repairs), <see cref="ResizeAsync"/>, <see cref="WriteCompressedAsync"/>, the allocation
/// map and internal snapshots.
/// </para>
/// <para>
/// Concurrency: any number of reads, writes, zeroing and discards may run at once, from any thread. Metadata
/// is guarded by one asynchronous lock held only for in-memory work and cache misses, guest data moves outside
/// it, and writers to the same cluster wait for each other. Snapshot operations are the exception:
/// <see cref="CreateSnapshotAsync"/>, <see cref="ApplySnapshotAsync"/> and <see cref="DeleteSnapshotAsync"/>
/// take the metadata lock but do not wait for writes already moving data, so the caller must let every write,
/// zeroing, discard and compressed write finish, and start none, until the snapshot operation has completed.
/// Reads may continue meanwhile; the clusters they read are not reused before they end.
/// </para>
/// </remarks>
public sealed partial class Qcow2Image : IBlockDevice
{
    private readonly HostFile _file;
    private readonly HostFile _dataFile;
    private readonly Qcow2Layout _layout;
    private readonly SemaphoreSlim _meta = new(1, 1);
    private readonly InFlightEpochs _epochs = new();
    private readonly Dictionary<long, TaskCompletionSource> _allocating = [];
    private readonly TableCache _l2Cache;
    private readonly RefcountManager _refcounts;
    private readonly IBlockDevice? _backing;
    private ulong[] _l1;
    private Qcow2Header _header;
    private bool _l1Dirty;
    private bool _headerDirty;
    private bool _metadataUnsynced;
    private bool _refcountsUnsynced;
    private bool _dirtyMarkDurable;
    private bool _dataNeedsSyncBeforeMetadata;
    private bool _disposed;

    private Qcow2Image(HostFile file, HostFile dataFile, Qcow2Header header, ulong[] l1, ulong[] refcountTable, IBlockDevice? backing, Qcow2OpenOptions options)
    {
        _file = file;
        _dataFile = dataFile;
        _header = header;
        _l1 = l1;
        _backing = backing;
        _layout = new Qcow2Layout(header.ClusterBits, header.RefcountOrder, header.HasExtendedL2);
        IsReadOnly = options.ReadOnly;
        LogicalBlockSize = options.LogicalBlockSize;
        _refcounts = new RefcountManager(file, _layout, header.RefcountTableOffset, header.RefcountTableClusters, refcountTable, options.MetadataCacheBytes / 4, _epochs);
        _l2Cache = new TableCache(file, _layout.ClusterSize, options.MetadataCacheBytes * 3 / 4, WriteBackL2Async);
    }

    /// <summary>The path of the image file.</summary>
    public string Path => _file.Path;

    /// <inheritdoc />
    public long Length => _header.Size;

    /// <inheritdoc />
    public int LogicalBlockSize { get; }

    /// <inheritdoc />
    public bool IsReadOnly { get; }

    /// <inheritdoc />
    public bool IsThin => true;

    /// <summary>The image's format version (2 or 3).</summary>
    public int Version => _header.Version;

    /// <summary>The cluster size in bytes.</summary>
    public int ClusterSize => _layout.ClusterSize;

    /// <summary>The refcount width in bits.</summary>
    public int RefcountBits => _layout.RefcountBits;

    /// <summary>Whether L2 entries carry subcluster bitmaps.</summary>
    public bool HasExtendedL2 => _layout.ExtendedL2;

    /// <summary>Whether the lazy refcounts feature is set.</summary>
    public bool HasLazyRefcounts => _header.HasLazyRefcounts;

    /// <summary>How the image's compressed clusters are compressed.</summary>
    public Qcow2CompressionType CompressionType => (Qcow2CompressionType)_header.CompressionType;

    /// <summary>The backing file name stored in the image, if any.</summary>
    public string? BackingFile => _header.BackingFile;

    /// <summary>
    /// The backing file format stored in the image, if any, as QEMU names it ("qcow2", "raw"; images made by
    /// QEMU may name other formats, which this engine does not open).
    /// </summary>
    public string? BackingFormat => _header.BackingFormat;

    /// <summary>The external data file name stored in the image, if any.</summary>
    public string? ExternalDataFile => _header.ExternalDataFile;

    /// <summary>Whether the image is marked dirty (refcounts may be stale).</summary>
    public bool IsDirty => (_header.Incompatible & IncompatibleFeatures.Dirty) != 0;

    /// <summary>Whether the image is marked corrupt.</summary>
    public bool IsCorrupt => (_header.Incompatible & IncompatibleFeatures.Corrupt) != 0;

    /// <summary>The number of internal snapshots.</summary>
    public int SnapshotCount => _header.SnapshotCount;

    /// <summary>Size of the image file in bytes.</summary>
    public long FileLength => _file.Length;

    internal Qcow2Header Header => _header;

    internal Qcow2Layout Layout => _layout;

    internal HostFile File => _file;

    internal RefcountManager Refcounts => _refcounts;

    /// <summary>The first cluster past the end of the image file.</summary>
    internal long HostEndCluster => _refcounts.HostEndCluster;

    /// <summary>Metadata cache hits (or misses) of the L2 and refcount caches, for metrics.</summary>
    internal (long L2, long Refcount) CacheLookups(bool hits) =>
        hits ? (_l2Cache.Hits, _refcounts.CacheLookups.Hits) : (_l2Cache.Misses, _refcounts.CacheLookups.Misses);

    /// <summary>Whether a file starts with the qcow2 magic (<c>QFI\xfb</c>).</summary>
    public static async Task<bool> IsQcow2Async(string path, CancellationToken cancellationToken = default)
    {
        var magic = new byte[4];
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous);
        return await stream.ReadAtLeastAsync(magic, 4, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) == 4
            && BinaryPrimitives.ReadUInt32BigEndian(magic) == Qcow2Header.Magic;
    }

    /// <summary>Opens an existing image.</summary>
    /// <exception cref="Qcow2FormatException">The file is not a qcow2 image this engine can open as asked.</exception>
    /// <exception cref="FileNotFoundException">The image, its backing file or its data file is missing.</exception>
    /// <exception cref="Core.BlockDevices.ImageInUseException">
    /// With <see cref="Qcow2OpenOptions.Lock"/>, a file of the chain is used by another open file in a conflicting way.
    /// </exception>
    public static Task<Qcow2Image> OpenAsync(string path, Qcow2OpenOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new Qcow2OpenOptions();
        var guard = new ChainGuard(options.ChainPolicy);
        return OpenChainAsync(path, guard.Admit(path, path, ChainRole.Image, null, 0), options, guard, 0, cancellationToken);
    }

    /// <summary>Opens an admitted file of a chain, <paramref name="depth"/> backing files below the top image.</summary>
    private static async Task<Qcow2Image> OpenChainAsync(string path, ChainFile admitted, Qcow2OpenOptions options, ChainGuard guard, int depth, CancellationToken cancellationToken)
    {
        var file = HostFile.Open(path, writable: !options.ReadOnly, lockImage: options.Lock, tap: options.Tap);
        HostFile? dataFile = null;
        IBlockDevice? backing = null;
        try
        {
            ChainGuard.Confirm(file, admitted);
            long length = file.Length;
            var cluster0 = new byte[(int)Math.Min(length, 1 << Qcow2Header.MaxClusterBits)];
            await file.ReadAsync(0, cluster0, cancellationToken).ConfigureAwait(false);
            var header = Qcow2Header.Parse(cluster0, length);
            if (!options.ReadOnly && header.ExternalDataFile is not null)
            {
                throw new Qcow2FormatException($"'{path}' keeps its data in an external data file; such images can only be opened read-only.");
            }

            if (!options.ReadOnly && (header.Incompatible & IncompatibleFeatures.Corrupt) != 0)
            {
                throw new Qcow2FormatException($"'{path}' is marked corrupt; it can only be opened read-only (run check -r all to repair it).");
            }

            // Every snapshot entry is checked against the limits and the file now, before anything walks it.
            _ = await ReadSnapshotTableAsync(file, header, cancellationToken).ConfigureAwait(false);
            _ = await ReadBitmapDirectoryAsync(file, header, cancellationToken).ConfigureAwait(false);
            var l1 = await ReadL1Async(file, header, cancellationToken).ConfigureAwait(false);
            var refcountTable = await RefcountManager.ReadTableAsync(file, header.RefcountTableOffset, header.RefcountTableClusters, header.ClusterSize, cancellationToken).ConfigureAwait(false);
            if (header.ExternalDataFile is { } dataName)
            {
                string dataPath = ResolveRelative(path, dataName);
                var admittedData = guard.Admit(dataPath, dataName, ChainRole.DataFile, path, depth);
                dataFile = HostFile.Open(dataPath, writable: !options.ReadOnly, lockImage: options.Lock, tap: options.Tap);
                ChainGuard.Confirm(dataFile, admittedData);
            }

            if (options.OpenBackingFile && header.BackingFile is { } backingName)
            {
                backing = await OpenBackingAsync(backingName, path, header.BackingFormat, options, guard, depth + 1, cancellationToken).ConfigureAwait(false);
            }

            var image = new Qcow2Image(file, dataFile ?? file, header, l1, refcountTable, backing, options);
            if (options.Snapshot is { } snapshot)
            {
                if (!options.ReadOnly)
                {
                    throw new ArgumentException("A snapshot can only be opened read-only.", nameof(options));
                }

                await image.ShowSnapshotAsync(snapshot, cancellationToken).ConfigureAwait(false);
            }

            if (!options.ReadOnly)
            {
                await image.PrepareForWritingWithinAsync(options, cancellationToken).ConfigureAwait(false);
            }

            Qcow2Metrics.Opened(image);
            return image;
        }
        catch
        {
            if (backing is not null)
            {
                await backing.DisposeAsync().ConfigureAwait(false);
            }

            dataFile?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        if (!IsReadOnly)
        {
            await CloseCleanlyAsync().ConfigureAwait(false);
        }

        _disposed = true;
        Qcow2Metrics.Closed(this);
        if (_backing is not null)
        {
            await _backing.DisposeAsync().ConfigureAwait(false);
        }

        if (!ReferenceEquals(_dataFile, _file))
        {
            _dataFile.Dispose();
        }

        _file.Dispose();
        _meta.Dispose();
    }

    /// <summary>A virtual size rounded up to whole 512-byte sectors, as qemu-img rounds the sizes it is given.</summary>
    internal static long RoundUpToSector(long size, string parameter)
    {
        if (size is < 0 or > long.MaxValue - 511)
        {
            throw new ArgumentException($"Invalid image size {size}.", parameter);
        }

        return (size + 511) & ~511L;
    }

    internal static string ResolveRelative(string imagePath, string name) =>
        System.IO.Path.IsPathRooted(name) ? name : System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(imagePath)) ?? ".", name);

    /// <summary>Opens the backing file <paramref name="name"/> of <paramref name="imagePath"/>, <paramref name="depth"/> levels down.</summary>
    private static async Task<IBlockDevice> OpenBackingAsync(string name, string imagePath, string? format, Qcow2OpenOptions options, ChainGuard guard, int depth, CancellationToken cancellationToken)
    {
        if (format is not (null or "raw" or "qcow2"))
        {
            throw new Qcow2FormatException($"Unsupported backing file format '{format}'.");
        }

        string path = ResolveRelative(imagePath, name);
        var admitted = guard.Admit(path, name, ChainRole.BackingFile, imagePath, depth);
        if (format is null or "qcow2")
        {
            try
            {
                return await OpenChainAsync(path, admitted, options with { ReadOnly = true }, guard, depth, cancellationToken).ConfigureAwait(false);
            }
            catch (Qcow2FormatException) when (format is null)
            {
                // Not qcow2: read it as raw below.
            }
        }

        var raw = RawBackingFile.Open(path, options.Lock);
        try
        {
            ChainGuard.Confirm(raw.File, admitted);
            return raw;
        }
        catch
        {
            await raw.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static ValueTask<ulong[]> ReadL1Async(HostFile file, Qcow2Header header, CancellationToken cancellationToken) =>
        TableCodec.ReadAsync(file, header.L1TableOffset, header.L1Size, cancellationToken);

    /// <summary>Prepares for writing within <see cref="Qcow2OpenOptions.CheckTimeLimit"/>.</summary>
    private async ValueTask PrepareForWritingWithinAsync(Qcow2OpenOptions options, CancellationToken cancellationToken)
    {
        if (options.CheckTimeLimit is not { } limit)
        {
            await PrepareForWritingAsync(options.VerifyBeforeWriting, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (limit <= TimeSpan.Zero)
        {
            timer.Cancel(); // no time at all: refused at once, not when a timer thread gets round to it
        }
        else
        {
            timer.CancelAfter(limit);
        }
        try
        {
            await PrepareForWritingAsync(options.VerifyBeforeWriting, timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new Qcow2FormatException(string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"'{Path}': checking its metadata took longer than {limit.TotalSeconds:0.#} s, so it is not opened for writing; check it with `image check`."));
        }
    }

    private async ValueTask PrepareForWritingAsync(bool verify, CancellationToken cancellationToken)
    {
        if ((_header.Incompatible & IncompatibleFeatures.Dirty) != 0)
        {
            // Lazy refcounts left stale: rebuild them from the mapping before any write, as QEMU does.
            await RepairAsync(Qcow2RepairMode.All, cancellationToken).ConfigureAwait(false);
        }

        if (verify)
        {
            var check = await CheckAsync(Qcow2RepairMode.None, cancellationToken).ConfigureAwait(false);
            if (check.Corruptions > 0)
            {
                throw new Qcow2FormatException(
                    $"'{Path}' has {check.Corruptions} metadata error(s) ({check.Messages[0]}); open it read-only, or repair it with check -r all.");
            }
        }

        await LoadBitmapsAsync(cancellationToken).ConfigureAwait(false);

        // Unknown autoclear bits are cleared before the first write (qcow2 spec, "autoclear_features").
        const ulong knownAutoclear = 0b11;
        if ((_header.Autoclear & ~knownAutoclear) != 0)
        {
            _header = _header with { Autoclear = _header.Autoclear & knownAutoclear };
            _headerDirty = true;
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
