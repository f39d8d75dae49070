using Targetd.Core.BlockDevices;
using Targetd.Core.Processes;
using Targetd.Storage.Errors;

namespace Targetd.Storage.Pools.Zfs;

/// <summary>
/// A block pool on ZFS, configured as targetd's <c>zfs_block_pools</c> (targetd-peer §4, §7.1, §7.2): an existing file
/// system dataset such as <c>tank/block</c>, whose volumes are the zvols below it, exported as
/// <c>/dev/zvol/DATASET/NAME</c>.
/// </summary>
/// <remarks>
/// Errors follow targetd: an unknown pool -110, a taken name -50, a missing volume -103, a size that is not larger
/// -32602, a name outside <c>^[A-Za-z0-9][A-Za-z0-9_.-]*$</c> -32602, a volume with copies -32602, a copy while
/// <c>zfs_enable_copy</c> is off -153, and a failed <c>zfs</c> command -303 with targetd's message. <c>zfs create</c>
/// rounds a new volume's size up to its block size itself; <c>zfs set volsize</c> and <c>zfs clone -o volsize</c>
/// refuse a size that is not a multiple of it, so unlike targetd, a grown size is rounded up to whole 128 KiB (a
/// multiple of every volume block size up to 128 KiB). <c>vol_list</c> reports the rounded size, as it reports
/// LVM's rounding to extents.
/// </remarks>
public sealed class ZfsBlockPool : IBlockPool
{
    /// <summary>The unit sizes are rounded up to.</summary>
    public const long SizeUnit = 128 * 1024;

    private readonly ZfsTool _zfs;
    private readonly bool _copyEnabled;
    private readonly Func<string, CancellationToken, Task<IBlockDevice>> _openDevice;

    /// <summary>Creates the pool over <paramref name="dataset"/>.</summary>
    /// <param name="dataset">The parent dataset as configured (<c>tank/block</c>).</param>
    /// <param name="runner">Runs <c>zfs</c>.</param>
    /// <param name="copyEnabled">targetd's <c>zfs_enable_copy</c>: whether <c>vol_copy</c> may snapshot and clone.</param>
    public ZfsBlockPool(string dataset, IProcessRunner runner, bool copyEnabled)
        : this(dataset, runner, copyEnabled, TimeProvider.System, OpenZvolAsync)
    {
    }

    internal ZfsBlockPool(string dataset, IProcessRunner runner, bool copyEnabled, TimeProvider time, Func<string, CancellationToken, Task<IBlockDevice>> openDevice)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(time);
        ZfsNames.CheckConfigured([dataset]);
        Name = dataset;
        _zfs = new ZfsTool(runner, time);
        _copyEnabled = copyEnabled;
        _openDevice = openDevice ?? throw new ArgumentNullException(nameof(openDevice));
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>
    /// targetd's ZFS <c>block_pools</c>: size = available + used, free = available, uuid = the dataset's GUID, which
    /// targetd sends as a JSON number.
    /// </summary>
    public async Task<BlockPoolInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        var properties = await _zfs.GetAsync("all", "available,used,guid", recursive: false, Name, cancellationToken).ConfigureAwait(false);
        if (!properties.Contains(Name))
        {
            throw StorageErrors.PoolNotFound(Name);
        }

        long available = properties.Number(Name, "available");
        return new BlockPoolInfo(Name, available + properties.Number(Name, "used"), available, properties.Guid(Name)) { UuidIsNumber = true };
    }

    /// <summary>The zvols below the dataset (nested ones as <c>a/b</c>): volsize and GUID, by name.</summary>
    public async Task<IReadOnlyList<BlockVolume>> ListAsync(CancellationToken cancellationToken = default)
    {
        // targetd-peer §7.2 vol_list: "zfs get -Hpr -t volume volsize,guid <pool>; name = full name minus <pool>/ (nested
        // zvols appear as a/b), size = volsize, uuid = guid string".
        var properties = await _zfs.GetAsync("volume", "volsize,guid", recursive: true, Name, cancellationToken).ConfigureAwait(false);
        return [.. properties.Datasets
            .Where(d => d.StartsWith(Name + "/", StringComparison.Ordinal))
            .Select(d => new BlockVolume(d[(Name.Length + 1)..], properties.Number(d, "volsize"), properties.Guid(d)))
            .OrderBy(v => v.Name, StringComparer.Ordinal)];
    }

    /// <summary><c>zfs create -V SIZE DATASET/NAME</c> (-32602 for a bad name, -50 when taken, -303 when zfs fails).</summary>
    public async Task CreateAsync(string name, long size, CancellationToken cancellationToken = default)
    {
        ZfsNames.EnsureValid(name);
        if (size <= 0)
        {
            throw StorageErrors.InvalidArgument($"Size {size} must be larger than 0");
        }

        if ((await ListAsync(cancellationToken).ConfigureAwait(false)).Any(v => v.Name == name))
        {
            throw StorageErrors.VolumeExists();
        }

        await _zfs.RunAsync(ZfsCommands.CreateVolume(Dataset(name), size), $"Could not create volume {name} on pool {Name}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>zfs destroy -r DATASET/NAME</c> (-103 when missing; -32602 while copies of it exist).</summary>
    public async Task DestroyAsync(string name, CancellationToken cancellationToken = default)
    {
        await FindAsync(name, cancellationToken).ConfigureAwait(false);
        await _zfs.DestroyAsync(Name, name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// targetd's ZFS copy: -103 for a missing source, -32602 for a size that is not larger, -153 unless copies are
    /// enabled, -50 when the destination is taken; then a snapshot <c>SOURCE@DESTINATIONepoch</c> and a clone of it,
    /// grown to <paramref name="size"/> when given.
    /// </summary>
    public async Task CopyAsync(string source, string destination, long? size, CancellationToken cancellationToken = default)
    {
        var volumes = await ListAsync(cancellationToken).ConfigureAwait(false);
        var origin = Find(volumes, source);
        if (size is { } requested && requested <= origin.Size)
        {
            throw StorageErrors.SizeNotLarger(requested, source, Name);
        }

        if (!_copyEnabled)
        {
            throw ZfsTool.CopyDisabled();
        }

        ZfsNames.EnsureValid(destination);
        if (volumes.Any(v => v.Name == destination))
        {
            throw new StorageException(StorageErrorKind.VolumeExists, $"Destination volume {destination} already exists on pool {Name}");
        }

        await _zfs.CloneAsync(Name, source, snapshot: null, destination, size is { } larger ? Rounded(larger) : null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>zfs set volsize=N DATASET/NAME</c> (-103; -32602 when not larger; -303 when zfs fails).</summary>
    public async Task ResizeAsync(string name, long size, CancellationToken cancellationToken = default)
    {
        var volume = await FindAsync(name, cancellationToken).ConfigureAwait(false);
        if (size <= volume.Size)
        {
            throw StorageErrors.SizeNotLarger(size, name, Name);
        }

        await _zfs.RunAsync(ZfsCommands.SetVolumeSize(Dataset(name), Rounded(size)), $"Could not resize volume {name} on pool {Name}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens the zvol's device node <c>/dev/zvol/DATASET/NAME</c> read-write (-103 when missing).</summary>
    public async Task<IBlockDevice> OpenAsync(string name, CancellationToken cancellationToken = default)
    {
        await FindAsync(name, cancellationToken).ConfigureAwait(false);
        return await _openDevice(DevicePath(name), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The device node udev makes for a zvol: <c>/dev/zvol/DATASET/NAME</c>.</summary>
    internal string DevicePath(string name) => $"/dev/zvol/{Dataset(name)}";

    /// <summary>A grown size rounded up to <see cref="SizeUnit"/>.</summary>
    internal static long Rounded(long size) =>
        size <= long.MaxValue - SizeUnit
            ? (size + SizeUnit - 1) / SizeUnit * SizeUnit
            : throw StorageErrors.InvalidArgument($"Size {size} is too large");

    /// <summary>
    /// Opens a zvol's node. udev makes it a moment after <c>zfs create</c> or <c>zfs clone</c> returns, so a missing node is
    /// waited for, up to ten seconds.
    /// </summary>
    private static async Task<IBlockDevice> OpenZvolAsync(string path, CancellationToken cancellationToken)
    {
        for (int attempt = 0; !File.Exists(path) && attempt < 100; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }

        return FileBlockDevice.Open(path, new FileBlockDeviceOptions());
    }

    private string Dataset(string name) => Name + "/" + name;

    private async Task<BlockVolume> FindAsync(string name, CancellationToken cancellationToken) =>
        Find(await ListAsync(cancellationToken).ConfigureAwait(false), name);

    private BlockVolume Find(IReadOnlyList<BlockVolume> volumes, string name) =>
        volumes.FirstOrDefault(v => v.Name == name) ?? throw StorageErrors.VolumeNotFound(name, Name);
}
