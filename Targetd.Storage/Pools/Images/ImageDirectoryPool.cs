using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Targetd.Core.BlockDevices;
using Targetd.Storage.Errors;
using Targetd.Core.Names;
using Targetd.Qcow2;
using Targetd.Storage.State;

namespace Targetd.Storage.Pools.Images;

/// <summary>
/// A block pool of thin qcow2 images in one folder: volume <c>NAME</c> is <c>NAME.qcow2</c>. Copies are
/// reflinks where the file system offers them, else copies of the allocated clusters only; sizes grow
/// through the image's own resize. Volume and pool identities persist in <c>.targetd-pool.json</c>.
/// </summary>
public sealed partial class ImageDirectoryPool : IBlockPool, IDisposable
{
    private const string IndexName = ".targetd-pool.json";
    private readonly string _folder;
    private readonly AtomicJsonFile<ImagePoolIndex> _indexFile;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly bool _reflink;

    /// <summary>Creates the pool over an existing folder.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public ImageDirectoryPool(string name, string folder)
        : this(name, folder, NullLogger.Instance)
    {
    }

    /// <summary>Creates the pool over an existing folder, logging the progress of copies to <paramref name="logger"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public ImageDirectoryPool(string name, string folder, ILogger logger)
        : this(name, folder, logger, TimeProvider.System, reflink: true)
    {
    }

    /// <summary>Creates the pool with its own clock, and with reflinks tried or not.</summary>
    internal ImageDirectoryPool(string name, string folder, ILogger logger, TimeProvider time, bool reflink)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        _time = time;
        _reflink = reflink;
        Name = name;
        _folder = Directory.Exists(folder) ? Path.GetFullPath(folder) : throw new DirectoryNotFoundException($"Image pool '{name}': folder '{folder}' does not exist.");
        _indexFile = new AtomicJsonFile<ImagePoolIndex>(Path.Combine(_folder, IndexName), ImagePoolIndexJson.ToJson, ImagePoolIndexJson.FromJson);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    /// <summary>The pool's folder.</summary>
    public string Folder => _folder;

    /// <summary>
    /// Folders besides the pool's own that backing files and external data files of its volumes may lie in (after
    /// <c>..</c> and symbolic links are resolved). Default: none, every file of a volume's chain lies in the pool's folder.
    /// </summary>
    public IReadOnlyList<string> BackingRoots { get; init; } = [];

    /// <inheritdoc />
    public async Task<BlockPoolInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        var index = await LoadIndexAsync(cancellationToken).ConfigureAwait(false);
        var drive = new DriveInfo(_folder);
        return new BlockPoolInfo(Name, drive.TotalSize, drive.AvailableFreeSpace, index.Uuid);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<BlockVolume>> ListAsync(CancellationToken cancellationToken = default)
    {
        var index = await LoadIndexAsync(cancellationToken).ConfigureAwait(false);
        var volumes = new List<BlockVolume>();
        foreach (string file in Directory.EnumerateFiles(_folder, "*.qcow2").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(file);
            if (!ResourceName.IsValid(name))
            {
                continue;
            }

            if (await VirtualSizeAsync(file, cancellationToken).ConfigureAwait(false) is { } size)
            {
                volumes.Add(new BlockVolume(name, size, await UuidOfAsync(index, name, cancellationToken).ConfigureAwait(false)));
            }
        }

        return volumes;
    }

    /// <inheritdoc />
    public async Task CreateAsync(string name, long size, CancellationToken cancellationToken = default)
    {
        StorageErrors.EnsureValidName(name);
        if (size <= 0)
        {
            throw StorageErrors.InvalidArgument($"Invalid size {size}");
        }

        if (File.Exists(PathOf(name)))
        {
            throw StorageErrors.VolumeExists();
        }

        await using (await Qcow2Image.CreateAsync(PathOf(name), new Qcow2CreateOptions { Size = size }, cancellationToken).ConfigureAwait(false))
        {
        }

        await AssignUuidAsync(name, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task DestroyAsync(string name, CancellationToken cancellationToken = default)
    {
        string path = ExistingPath(name);

        // An open volume (a LUN serving it, a copy writing it, qemu or another program using it) holds QEMU's image
        // locks: take the writer's locks on the file itself (an image too damaged to open can still be removed) and
        // unlink it while holding them, so that nothing opens it between the test and the removal.
        FileBlockDevice holder;
        try
        {
            holder = FileBlockDevice.Open(path);
        }
        catch (ImageInUseException)
        {
            throw StorageErrors.VolumeInUse(name, Name);
        }

        await using (holder.ConfigureAwait(false))
        {
            File.Delete(path);
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var index = await LoadIndexLockedAsync(cancellationToken).ConfigureAwait(false);
            if (index.Volumes.Remove(name))
            {
                await _indexFile.WriteAsync(index, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task CopyAsync(string source, string destination, long? size, CancellationToken cancellationToken = default)
    {
        string from = ExistingPath(source);
        StorageErrors.EnsureValidName(destination);
        long length;
        await using (var original = await OpenImageAsync(from, SharedRead with { OpenBackingFile = false }, cancellationToken).ConfigureAwait(false))
        {
            length = original.Length;
        }

        if (size is { } requested && requested <= length)
        {
            throw StorageErrors.SizeNotLarger(requested, source, Name);
        }

        string to = PathOf(destination);
        if (File.Exists(to))
        {
            throw StorageErrors.VolumeExists();
        }

        try
        {
            var progress = new VolumeCopyProgress(_logger, Name, source, destination, _time);
            if (_reflink && TryReflink(from, to))
            {
                progress.Report(100);
            }
            else
            {
                await CopyAllocatedAsync(from, to, progress, cancellationToken).ConfigureAwait(false);
            }

            if (size is { } grow)
            {
                await using var copy = await OpenImageAsync(to, new Qcow2OpenOptions(), cancellationToken).ConfigureAwait(false);
                await copy.ResizeAsync(grow, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            File.Delete(to);
            throw;
        }

        await AssignUuidAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task ResizeAsync(string name, long size, CancellationToken cancellationToken = default)
    {
        string path = ExistingPath(name);
        await using var image = await OpenImageAsync(path, new Qcow2OpenOptions(), cancellationToken).ConfigureAwait(false);
        if (size <= image.Length)
        {
            throw StorageErrors.SizeNotLarger(size, name, Name);
        }

        await image.ResizeAsync(size, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IBlockDevice> OpenAsync(string name, CancellationToken cancellationToken = default) =>
        await OpenImageAsync(ExistingPath(name), new Qcow2OpenOptions(), cancellationToken).ConfigureAwait(false);

    /// <summary>The stable uuid of a volume.</summary>
    public async Task<string> UuidOfAsync(string name, CancellationToken cancellationToken = default) =>
        await UuidOfAsync(await LoadIndexAsync(cancellationToken).ConfigureAwait(false), name, cancellationToken).ConfigureAwait(false);

    /// <summary>The virtual size in a qcow2 header (bytes 24–31), or null for a file that is not qcow2.</summary>
    private static async Task<long?> VirtualSizeAsync(string file, CancellationToken cancellationToken)
    {
        var header = new byte[32];
        try
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous);
            if (await stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < header.Length
                || System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header) != 0x514649FB)
            {
                return null;
            }
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        return (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(24));
    }

    /// <summary>
    /// How a copy reads its source: read-only and sharing the image with the writer that serves it when it is
    /// exported (as <c>qemu-img convert -U</c> reads a running VM's disk), so that a volume in use can still be copied.
    /// </summary>
    private static Qcow2OpenOptions SharedRead { get; } = new() { ReadOnly = true, Lock = false };

    /// <summary>
    /// Opens a volume's image with its chain confined to the pool's folder and the backing roots (regular files only,
    /// no loop, at most 16 backing files); a refused chain is -1 naming the refused file.
    /// </summary>
    private async Task<Qcow2Image> OpenImageAsync(string path, Qcow2OpenOptions options, CancellationToken cancellationToken)
    {
        try
        {
            return await Qcow2Image.OpenAsync(path, options with { ChainPolicy = Qcow2ChainPolicy.Confined([_folder, .. BackingRoots]) }, cancellationToken).ConfigureAwait(false);
        }
        catch (Qcow2ChainException ex)
        {
            throw new StorageException(StorageErrorKind.Failed, $"Volume image refused: {ex.Message}", ex);
        }
    }

    private string PathOf(string name) => Path.Combine(_folder, name + ".qcow2");

    private string ExistingPath(string name)
    {
        string path = PathOf(ResourceName.IsValid(name) ? name : throw StorageErrors.VolumeNotFound(name, Name));
        return File.Exists(path) ? path : throw StorageErrors.VolumeNotFound(name, Name);
    }

    private async Task<string> UuidOfAsync(ImagePoolIndex index, string name, CancellationToken cancellationToken) =>
        index.Volumes.TryGetValue(name, out string? uuid) ? uuid : await AssignUuidAsync(name, cancellationToken).ConfigureAwait(false);

    private async Task<string> AssignUuidAsync(string name, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var index = await LoadIndexLockedAsync(cancellationToken).ConfigureAwait(false);
            if (!index.Volumes.TryGetValue(name, out string? uuid) || !File.Exists(PathOf(name)))
            {
                uuid = Guid.NewGuid().ToString();
                index.Volumes[name] = uuid;
                await _indexFile.WriteAsync(index, cancellationToken).ConfigureAwait(false);
            }

            return uuid;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<ImagePoolIndex> LoadIndexAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await LoadIndexLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<ImagePoolIndex> LoadIndexLockedAsync(CancellationToken cancellationToken)
    {
        var index = await _indexFile.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (index is null)
        {
            index = new ImagePoolIndex();
            await _indexFile.WriteAsync(index, cancellationToken).ConfigureAwait(false);
        }

        return index;
    }

    /// <summary>Copies only what the source image has allocated, into a new image of the same geometry.</summary>
    private async Task CopyAllocatedAsync(string from, string to, IProgress<double> progress, CancellationToken cancellationToken)
    {
        await using var source = await OpenImageAsync(from, SharedRead, cancellationToken).ConfigureAwait(false);
        await using var target = await Qcow2Image.CreateAsync(to, new Qcow2CreateOptions { Size = source.Length, ClusterSize = source.ClusterSize }, cancellationToken).ConfigureAwait(false);
        var extents = await source.GetAllocatedExtentsAsync(0, source.Length, cancellationToken).ConfigureAwait(false);
        await BlockDeviceCopy.CopyExtentsAsync(source, target, extents, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>FICLONE: a copy-on-write clone of the whole file (btrfs, XFS with reflink); false where unsupported.</summary>
    private static bool TryReflink(string from, string to)
    {
        using var source = File.OpenHandle(from, FileMode.Open, FileAccess.Read);
        using var target = File.OpenHandle(to, FileMode.CreateNew, FileAccess.Write);
        if (IoctlFiclone((int)target.DangerousGetHandle(), 0x40049409, (int)source.DangerousGetHandle()) == 0)
        {
            return true;
        }

        target.Dispose();
        File.Delete(to);
        return false;
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoctlFiclone(int fd, ulong request, int sourceFd);
}
