using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Targetd.Core.BlockDevices;
using Targetd.Storage.Errors;
using Targetd.Core.Processes;

namespace Targetd.Storage.Pools.Lvm;

/// <summary>
/// A block pool on LVM, configured as targetd's are: a plain volume group (<c>vg</c>), whose volumes are its
/// linear LVs, or a thin pool (<c>vg/tp</c>), whose volumes are the thin LVs in that pool. Volumes are
/// exported as <c>/dev/vg/name</c>.
/// </summary>
/// <remarks>
/// <para>
/// The pool drives the lvm2 tools (written against lvm2 2.03 and its JSON reports) through an
/// <see cref="IProcessRunner"/>. Errors follow targetd: an unknown VG or thin pool is PoolNotFound, a taken name VolumeExists,
/// a missing volume VolumeNotFound, a size that is not larger InvalidArgument, an illegal name InvalidArgument, and a failed lvm command
/// CommandFailed with the command line in the message. Refusals are decided before any command that changes
/// anything runs.
/// </para>
/// <para>
/// Unlike targetd, <see cref="CopyAsync"/> also works on a plain VG: it creates a linear LV and copies the
/// data block by block. The copy is not atomic, so the source should not be written meanwhile. On a thin pool
/// it is a thin snapshot, which is.
/// </para>
/// </remarks>
public sealed class LvmBlockPool : IBlockPool
{
    private readonly IProcessRunner _runner;
    private readonly Func<string, bool, IBlockDevice> _openDevice;
    private readonly ILogger _logger;

    /// <summary>Creates the pool <paramref name="name"/> (<c>vg</c> or <c>vg/thinpool</c>).</summary>
    /// <param name="name">The pool as configured; each part must be a valid LVM name.</param>
    /// <param name="runner">Runs the lvm2 tools.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not <c>vg</c> or <c>vg/thinpool</c>.</exception>
    public LvmBlockPool(string name, IProcessRunner runner)
        : this(name, runner, NullLogger.Instance)
    {
    }

    /// <summary>Creates the pool <paramref name="name"/>, logging the progress of block copies to <paramref name="logger"/>.</summary>
    /// <param name="name">The pool as configured; each part must be a valid LVM name.</param>
    /// <param name="runner">Runs the lvm2 tools.</param>
    /// <param name="logger">Hears how far a copy on a plain VG has come.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not <c>vg</c> or <c>vg/thinpool</c>.</exception>
    public LvmBlockPool(string name, IProcessRunner runner, ILogger logger)
        : this(name, runner, static (path, readOnly) => FileBlockDevice.Open(path, new FileBlockDeviceOptions { ReadOnly = readOnly }), logger)
    {
    }

    /// <summary>Creates the pool with its own way of opening <c>/dev/vg/lv</c> (path, read-only).</summary>
    internal LvmBlockPool(string name, IProcessRunner runner, Func<string, bool, IBlockDevice> openDevice, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(openDevice);
        string[] parts = name.Split('/');
        if (parts.Length > 2 || !parts.All(IsLvmName))
        {
            throw new ArgumentException($"'{name}' is not an LVM pool name (vg or vg/thinpool).", nameof(name));
        }

        Name = name;
        VolumeGroup = parts[0];
        ThinPool = parts.Length == 2 ? parts[1] : null;
        _runner = runner;
        _openDevice = openDevice;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The volume group.</summary>
    public string VolumeGroup { get; }

    /// <summary>The thin pool LV, or null for a plain volume group.</summary>
    public string? ThinPool { get; }

    /// <summary>
    /// The VG's size, free space and UUID; for a thin pool its size, UUID and an estimate of its free space:
    /// the size less data_percent plus metadata_percent of it (targetd's formula), or the whole size when LVM
    /// reports no usage (an inactive pool).
    /// </summary>
    public async Task<BlockPoolInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        if (ThinPool is null)
        {
            var command = LvmCommands.ReportVolumeGroup(VolumeGroup);
            var result = await RunReportAsync(command, cancellationToken).ConfigureAwait(false);
            var vg = LvmReport.ParseVolumeGroups(command, result.StandardOutput).FirstOrDefault(v => v.Name == VolumeGroup)
                ?? throw StorageErrors.PoolNotFound(Name);
            return new BlockPoolInfo(Name, vg.Size, vg.Free, vg.Uuid);
        }

        var pool = ThinPoolOf(await ListLogicalVolumesAsync(cancellationToken).ConfigureAwait(false));
        return new BlockPoolInfo(Name, pool.Size, ThinPoolFreeSize(pool), pool.Uuid);
    }

    /// <summary>The plain LVs of the VG (lv_attr type '-'), or the thin LVs of the thin pool (type 'V').</summary>
    public async Task<IReadOnlyList<BlockVolume>> ListAsync(CancellationToken cancellationToken = default)
    {
        var lvs = await ListLogicalVolumesAsync(cancellationToken).ConfigureAwait(false);
        return [.. lvs.Where(IsVolume).Select(lv => lv.ToBlockVolume())];
    }

    /// <summary>
    /// Creates a linear LV, or a thin LV in the thin pool, of at least <paramref name="size"/> bytes (LVM rounds
    /// up to whole extents). VolumeExists when any LV of the VG has the name.
    /// </summary>
    public async Task CreateAsync(string name, long size, CancellationToken cancellationToken = default)
    {
        StorageErrors.EnsureValidName(name);
        EnsurePositive(size);
        var lvs = await ListLogicalVolumesAsync(cancellationToken).ConfigureAwait(false);
        EnsureFree(lvs, name);
        var command = ThinPool is null
            ? LvmCommands.CreateLinear(VolumeGroup, name, size)
            : LvmCommands.CreateThin(VolumeGroup, ThinPool, name, size);
        await RunAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a volume of this pool (VolumeNotFound when it is not one).</summary>
    public async Task DestroyAsync(string name, CancellationToken cancellationToken = default)
    {
        StorageErrors.EnsureValidName(name);
        var lvs = await ListLogicalVolumesAsync(cancellationToken).ConfigureAwait(false);
        FindVolume(lvs, name);
        await RunAsync(LvmCommands.Remove(VolumeGroup, name), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies a volume. On a thin pool: a thin snapshot, activated and without LVM's activation-skip flag, then
    /// grown to <paramref name="size"/> if given. On a plain VG: a new linear LV of the source's size (or
    /// <paramref name="size"/>) and a block copy of the source's data. If a step after the new LV's creation
    /// fails, the new LV is removed again.
    /// </summary>
    public async Task CopyAsync(string source, string destination, long? size, CancellationToken cancellationToken = default)
    {
        StorageErrors.EnsureValidName(source);
        StorageErrors.EnsureValidName(destination);
        var lvs = await ListLogicalVolumesAsync(cancellationToken).ConfigureAwait(false);
        var origin = FindVolume(lvs, source);
        if (size is { } requested && requested <= origin.Size)
        {
            throw StorageErrors.SizeNotLarger(requested, source, Name);
        }

        EnsureFree(lvs, destination);
        if (ThinPool is not null)
        {
            await RunAsync(LvmCommands.CreateThinSnapshot(VolumeGroup, ThinPool, source, destination), cancellationToken).ConfigureAwait(false);
            if (size is { } larger)
            {
                await UndoOnFailureAsync(destination, () => RunAsync(LvmCommands.Extend(VolumeGroup, destination, larger), cancellationToken)).ConfigureAwait(false);
            }

            return;
        }

        if (!origin.IsActive)
        {
            await RunAsync(LvmCommands.Activate(VolumeGroup, source), cancellationToken).ConfigureAwait(false);
        }

        await RunAsync(LvmCommands.CreateLinear(VolumeGroup, destination, size ?? origin.Size), cancellationToken).ConfigureAwait(false);
        await UndoOnFailureAsync(destination, () => CopyDataAsync(source, destination, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Grows a volume to at least <paramref name="size"/> bytes (VolumeNotFound; InvalidArgument when it is not larger).</summary>
    public async Task ResizeAsync(string name, long size, CancellationToken cancellationToken = default)
    {
        StorageErrors.EnsureValidName(name);
        var lvs = await ListLogicalVolumesAsync(cancellationToken).ConfigureAwait(false);
        var volume = FindVolume(lvs, name);
        if (size <= volume.Size)
        {
            throw StorageErrors.SizeNotLarger(size, name, Name);
        }

        await RunAsync(LvmCommands.Extend(VolumeGroup, name, size), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens <c>/dev/vg/name</c> read-write, activating the LV first if it is inactive (VolumeNotFound when missing).</summary>
    public async Task<IBlockDevice> OpenAsync(string name, CancellationToken cancellationToken = default)
    {
        StorageErrors.EnsureValidName(name);
        var lvs = await ListLogicalVolumesAsync(cancellationToken).ConfigureAwait(false);
        var volume = FindVolume(lvs, name);
        if (!volume.IsActive)
        {
            await RunAsync(LvmCommands.Activate(VolumeGroup, name), cancellationToken).ConfigureAwait(false);
        }

        return _openDevice(DevicePath(name), false);
    }

    /// <summary>The device node of a volume: <c>/dev/vg/name</c>.</summary>
    internal string DevicePath(string name) => $"/dev/{VolumeGroup}/{name}";

    /// <summary>A thin pool's free bytes estimated as targetd does, clamped to [0, size].</summary>
    internal static long ThinPoolFreeSize(LvmLogicalVolume pool)
    {
        if (pool.DataPercent is not { } data || pool.MetadataPercent is not { } metadata)
        {
            return pool.Size;
        }

        decimal free = decimal.Floor(pool.Size * (1m - ((data + metadata) / 100m)));
        return (long)Math.Clamp(free, 0m, pool.Size);
    }

    /// <summary>LVM's rule for VG and LV names: <c>[a-zA-Z0-9+_.-]</c>, no leading hyphen, not "." or "..".</summary>
    private static bool IsLvmName(string name) =>
        name.Length > 0 && name[0] != '-' && name is not ("." or "..")
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '_' or '.' or '-');

    private static void EnsurePositive(long size)
    {
        if (size <= 0)
        {
            throw StorageErrors.InvalidArgument($"Size {size} must be larger than 0");
        }
    }

    private static void EnsureFree(IReadOnlyList<LvmLogicalVolume> lvs, string name)
    {
        // LV names are unique in a VG, whatever the LV's kind: any LV blocks the name, not only this pool's volumes.
        if (lvs.Any(lv => lv.Name == name))
        {
            throw StorageErrors.VolumeExists();
        }
    }

    private bool IsVolume(LvmLogicalVolume lv) => ThinPool is null ? lv.IsPlain : lv.IsThinVolume && lv.PoolLv == ThinPool;

    private LvmLogicalVolume FindVolume(IReadOnlyList<LvmLogicalVolume> lvs, string name) =>
        lvs.FirstOrDefault(lv => lv.Name == name && IsVolume(lv)) ?? throw StorageErrors.VolumeNotFound(name, Name);

    private LvmLogicalVolume ThinPoolOf(IReadOnlyList<LvmLogicalVolume> lvs) =>
        lvs.FirstOrDefault(lv => lv.Name == ThinPool && lv.IsThinPool) ?? throw StorageErrors.PoolNotFound(Name);

    /// <summary>The VG's visible LVs; PoolNotFound when the VG, or the configured thin pool, does not exist.</summary>
    private async Task<IReadOnlyList<LvmLogicalVolume>> ListLogicalVolumesAsync(CancellationToken cancellationToken)
    {
        var command = LvmCommands.ReportLogicalVolumes(VolumeGroup);
        var result = await RunReportAsync(command, cancellationToken).ConfigureAwait(false);
        var lvs = LvmReport.ParseLogicalVolumes(command, result.StandardOutput);
        if (ThinPool is not null)
        {
            ThinPoolOf(lvs);
        }

        return lvs;
    }

    /// <summary>Runs a report command; a VG that LVM cannot find is PoolNotFound rather than a failed command.</summary>
    private async Task<ProcessResult> RunReportAsync(ProcessCommand command, CancellationToken cancellationToken)
    {
        var result = await _runner.RunAsync(command, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded && result.StandardError.Contains($"Volume group \"{VolumeGroup}\" not found", StringComparison.Ordinal))
        {
            throw StorageErrors.PoolNotFound(Name);
        }

        return result.EnsureSucceeded(command);
    }

    private async Task RunAsync(ProcessCommand command, CancellationToken cancellationToken)
    {
        var result = await _runner.RunAsync(command, cancellationToken).ConfigureAwait(false);
        result.EnsureSucceeded(command);
    }

    private async Task CopyDataAsync(string source, string destination, CancellationToken cancellationToken)
    {
        try
        {
            var from = _openDevice(DevicePath(source), true);
            await using (from.ConfigureAwait(false))
            {
                var to = _openDevice(DevicePath(destination), false);
                await using (to.ConfigureAwait(false))
                {
                    await BlockDeviceCopy.CopyAsync(from, to, new VolumeCopyProgress(_logger, Name, source, destination, TimeProvider.System), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new StorageException(StorageErrorKind.Failed, $"Failed to copy volume {source} to {destination}, nested error: {ex.Message}", ex);
        }
    }

    /// <summary>Runs a step after <paramref name="created"/> was created; if it fails, removes that LV again.</summary>
    private async Task UndoOnFailureAsync(string created, Func<Task> step)
    {
        try
        {
            await step().ConfigureAwait(false);
        }
        catch
        {
            // Best effort: the step's error is the one to report, whether or not the removal succeeds.
            await _runner.RunAsync(LvmCommands.Remove(VolumeGroup, created), CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }
}
