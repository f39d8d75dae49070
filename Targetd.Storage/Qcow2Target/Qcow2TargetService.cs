using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Targetd.Core.Exports;
using Targetd.Core.Names;
using Targetd.Qcow2;
using Targetd.Storage.State;

namespace Targetd.Storage.Qcow2Target;

/// <summary>
/// The qcow2target API: targets with disk images attached as LUNs, served through an iSCSI target port and
/// persisted in a state file. Requests are serialised; LIST never waits for them. Every refused request
/// changes nothing.
/// </summary>
/// <remarks>
/// Live sessions: DETACHLUN takes the LUN away at once (initiators see REPORTED LUNS DATA HAS CHANGED);
/// CLEARTARGET and DELETETARGET are refused while an initiator is logged in, as in the original daemon;
/// a deleted target leaves LIST and discovery.
/// Untrusted images: every file of a disk's chain must lie in the disks root or a backing root (after <c>..</c> and
/// symbolic links), be a regular file, and form no loop nor a chain deeper than 16 backing files. Disks are opened
/// (and their metadata checked) outside the request lock, so a slow or hostile image holds up only its own ATTACH.
/// A disk of the state file that fails to open at start keeps its LUN and is listed with its error.
/// </remarks>
public sealed partial class Qcow2TargetService : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, ServedTarget> _targets = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _serials = new(StringComparer.Ordinal);
    private readonly HashSet<string> _opening = new(StringComparer.Ordinal);
    private readonly Qcow2ChainPolicy _policy;
    private readonly IIscsiTargetPort _port;
    private readonly DiskPathResolver _paths;
    private readonly AtomicJsonFile<Qcow2TargetState>? _state;
    private readonly ILogger _logger;
    private readonly TargetAccess _access;
    private IReadOnlyList<TargetListing> _snapshot = [];
    private int _nextTargetId = 1;

    /// <summary>Creates the service; call <see cref="RestoreAsync"/> before serving requests.</summary>
    public Qcow2TargetService(Qcow2TargetOptions options, IIscsiTargetPort port, ILogger<Qcow2TargetService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _port = port ?? throw new ArgumentNullException(nameof(port));
        _paths = new DiskPathResolver(options.DisksRoot);
        _policy = Qcow2ChainPolicy.Confined([_paths.Root, .. options.BackingRoots]);
        _state = options.StateFile is null ? null : new AtomicJsonFile<Qcow2TargetState>(options.StateFile, Qcow2TargetStateJson.ToJson, Qcow2TargetStateJson.FromJson);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _access = options.Access;
    }

    /// <summary>The canonical disks root.</summary>
    public string DisksRoot => _paths.Root;

    /// <summary>
    /// Re-creates the targets and attachments of the state file: disks that vanished are logged and left out, disks
    /// that fail to open are logged and keep their LUN as failed (LIST shows the error); every other disk is served.
    /// </summary>
    public async Task RestoreAsync(CancellationToken cancellationToken = default)
    {
        if (_state is null)
        {
            return;
        }

        var state = await _state.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (state is null)
        {
            return;
        }

        // The disks are opened before the request lock is taken: a slow image holds up nothing else.
        var opened = new Dictionary<(string Target, int Lun), (string Path, AttachedDisk? Disk, string? Error)>();
        foreach (var record in state.Targets)
        {
            foreach (var lun in record.Luns.Where(l => l.Lun is >= 0 and < Qcow2TargetErrors.MaxLuns))
            {
                string path;
                try
                {
                    path = _paths.Resolve(lun.Path);
                }
                catch (Qcow2TargetException ex)
                {
                    LogRestoreSkippedDisk(lun.Path, record.Name, ex.Message);
                    continue;
                }

                if (opened.Values.Any(o => o.Path == path) || opened.ContainsKey((record.Name, lun.Lun)))
                {
                    LogRestoreSkippedDisk(lun.Path, record.Name, "listed twice in the state file");
                    continue;
                }

                try
                {
                    opened[(record.Name, lun.Lun)] = (path, await AttachedDisk.OpenAsync(path, _policy, cancellationToken).ConfigureAwait(false), null);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Whatever a damaged image does to the opener, it must not stop the daemon serving the other disks.
                    LogRestoreFailedDisk(path, record.Name, lun.Lun, ex.Message);
                    opened[(record.Name, lun.Lun)] = (path, null, ex.Message);
                }
            }
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var (path, serial) in state.Serials)
            {
                _serials[path] = serial;
            }

            foreach (var record in state.Targets)
            {
                if (!IscsiName.IsValid(record.Name) || _targets.ContainsKey(record.Name))
                {
                    LogRestoreSkippedTarget(record.Name);
                    continue;
                }

                try
                {
                    _port.AddTarget(record.Name, _access);
                }
                catch (ArgumentException)
                {
                    // A name the iSCSI target refuses (a state file written by hand or by an older version): skipped,
                    // like a malformed one, so the daemon still serves everything else.
                    LogRestoreSkippedTarget(record.Name);
                    continue;
                }

                var target = new ServedTarget(record.Name, record.Id);
                _targets[record.Name] = target;
                _nextTargetId = Math.Max(_nextTargetId, record.Id + 1);
                foreach (var ((name, lun), (path, disk, error)) in opened.Where(o => o.Key.Target == record.Name).ToList())
                {
                    if (disk is null)
                    {
                        target.Failed[lun] = new FailedDisk(path, error!);
                        continue;
                    }

                    _port.AddLun(name, lun, disk.Device, SerialOf(path));
                    target.Luns[lun] = disk;
                    opened.Remove((name, lun));
                }
            }

            await CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
            // Disks of targets that were left out.
            foreach (var (_, disk, _) in opened.Values)
            {
                if (disk is not null)
                {
                    await disk.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>ADDTARGET.</summary>
    public Task AddTargetAsync(string targetName, CancellationToken cancellationToken = default) =>
        UnderGateAsync(async () =>
        {
            if (!IscsiName.IsValid(targetName))
            {
                throw Qcow2TargetErrors.InvalidTargetName(targetName);
            }

            if (_targets.ContainsKey(targetName) || _port.HasTarget(targetName))
            {
                throw Qcow2TargetErrors.TargetAlreadyExists();
            }

            try
            {
                _port.AddTarget(targetName, _access);
            }
            catch (ArgumentException)
            {
                // The port checks names more strictly (iqn.yyyy-mm.…): a name it refuses is the client's error.
                throw Qcow2TargetErrors.InvalidTargetName(targetName);
            }

            _targets[targetName] = new ServedTarget(targetName, _nextTargetId++);
            await CommitAsync(cancellationToken).ConfigureAwait(false);
            LogTargetAdded(targetName);
            return 0;
        }, cancellationToken);

    /// <summary>DELETETARGET: refused while LUNs are attached or initiators are logged in.</summary>
    public Task DeleteTargetAsync(string targetName, CancellationToken cancellationToken = default) =>
        UnderGateAsync(async () =>
        {
            var target = Find(targetName);
            if (target.Luns.Count > 0 || target.Failed.Count > 0)
            {
                throw Qcow2TargetErrors.DeleteWithLuns();
            }

            if (_port.GetNexuses(target.Name).Count > 0)
            {
                throw Qcow2TargetErrors.DeleteWithConnections();
            }

            _port.RemoveTarget(target.Name);
            _targets.Remove(target.Name);
            await CommitAsync(cancellationToken).ConfigureAwait(false);
            LogTargetDeleted(target.Name);
            return 0;
        }, cancellationToken);

    /// <summary>
    /// ATTACH: the lowest free LUN from 0 to 255. The disk is opened, and its metadata checked, outside the request
    /// lock; the target and the LUN are taken once it is open.
    /// </summary>
    public async Task<int> AttachAsync(string targetName, string diskPath, CancellationToken cancellationToken = default)
    {
        string path = await UnderGateAsync(() =>
        {
            var target = Find(targetName);
            string resolved = _paths.Resolve(diskPath);
            PrepareAttach(target, resolved);
            _opening.Add(resolved);
            return Task.FromResult(resolved);
        }, cancellationToken).ConfigureAwait(false);

        AttachedDisk disk;
        try
        {
            disk = await AttachedDisk.OpenAsync(path, _policy, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await UnderGateAsync(() => Task.FromResult(_opening.Remove(path)), CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        try
        {
            return await UnderGateAsync(async () =>
            {
                _opening.Remove(path);
                var target = Find(targetName);
                PrepareAttach(target, path);
                int free = FreeLun(target);
                _port.AddLun(target.Name, free, disk.Device, SerialOf(path));
                target.Luns[free] = disk;
                await CommitAsync(cancellationToken).ConfigureAwait(false);
                LogAttached(path, target.Name, free);
                return free;
            }, CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            await disk.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>DETACHLUN: returns the detached disk's path.</summary>
    public Task<string> DetachLunAsync(string targetName, int lun, CancellationToken cancellationToken = default) =>
        UnderGateAsync(async () =>
        {
            var target = Find(targetName);
            if (target.Failed.Remove(lun, out var failed))
            {
                await CommitAsync(cancellationToken).ConfigureAwait(false);
                LogDetached(failed.Path, target.Name, lun);
                return failed.Path;
            }

            if (!target.Luns.Remove(lun, out var disk))
            {
                throw Qcow2TargetErrors.LogicalUnitNotFound();
            }

            await ReleaseAsync(target.Name, lun, disk).ConfigureAwait(false);
            await CommitAsync(cancellationToken).ConfigureAwait(false);
            return disk.Path;
        }, cancellationToken);

    /// <summary>CLEARTARGET: detaches every LUN, refused while initiators are logged in; returns the freed paths.</summary>
    public Task<IReadOnlyList<string>> ClearTargetAsync(string targetName, CancellationToken cancellationToken = default) =>
        UnderGateAsync<IReadOnlyList<string>>(async () =>
        {
            var target = Find(targetName);
            if (_port.GetNexuses(target.Name).Count > 0)
            {
                throw Qcow2TargetErrors.ActiveConnection();
            }

            var freed = new SortedDictionary<int, string>();
            foreach (var (lun, disk) in target.Luns.ToList())
            {
                target.Luns.Remove(lun);
                await ReleaseAsync(target.Name, lun, disk).ConfigureAwait(false);
                freed[lun] = disk.Path;
            }

            foreach (var (lun, failed) in target.Failed)
            {
                freed[lun] = failed.Path;
            }

            target.Failed.Clear();

            await CommitAsync(cancellationToken).ConfigureAwait(false);
            return [.. freed.Values];
        }, cancellationToken);

    /// <summary>LIST, without waiting for requests in progress.</summary>
    public IReadOnlyList<TargetListing> List() =>
        [.. Volatile.Read(ref _snapshot).Select(t => t with { Nexuses = _port.GetNexuses(t.Name) })];

    /// <summary>Detaches everything (without forgetting it in the state file) and closes the images.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            foreach (var target in _targets.Values)
            {
                foreach (var (lun, disk) in target.Luns)
                {
                    await ReleaseAsync(target.Name, lun, disk).ConfigureAwait(false);
                }

                target.Luns.Clear();
                _port.RemoveTarget(target.Name);
            }

            _targets.Clear();
        }
        finally
        {
            _gate.Release();
        }

        _gate.Dispose();
    }

    /// <summary>The disk's recorded unit serial number, a new uuid the first time it is attached.</summary>
    private string SerialOf(string path)
    {
        if (!_serials.TryGetValue(path, out string? serial) || !IsUsableSerial(serial))
        {
            serial = Guid.NewGuid().ToString();
            _serials[path] = serial;
        }

        return serial;
    }

    private static bool IsUsableSerial(string serial) => serial.Length is > 0 and <= 64 && serial.All(c => c is > ' ' and <= '~');

    /// <summary>Refuses a path already attached (or failed, or being opened) anywhere, and a full target.</summary>
    private void PrepareAttach(ServedTarget target, string path)
    {
        foreach (var other in _targets.Values)
        {
            foreach (var (lun, attached) in other.Luns)
            {
                if (attached.Path == path)
                {
                    throw Qcow2TargetErrors.AlreadyAttached(path, other.Name, lun);
                }
            }

            foreach (var (lun, failed) in other.Failed)
            {
                if (failed.Path == path)
                {
                    throw Qcow2TargetErrors.AlreadyAttached(path, other.Name, lun);
                }
            }
        }

        if (_opening.Contains(path))
        {
            throw Qcow2TargetErrors.BeingAttached(path);
        }

        _ = FreeLun(target);
    }

    private static int FreeLun(ServedTarget target)
    {
        int free = Enumerable.Range(0, Qcow2TargetErrors.MaxLuns).FirstOrDefault(l => !target.Luns.ContainsKey(l) && !target.Failed.ContainsKey(l), -1);
        return free >= 0 ? free : throw Qcow2TargetErrors.TooManyLuns();
    }

    private ServedTarget Find(string targetName) =>
        _targets.TryGetValue(targetName, out var target) ? target : throw Qcow2TargetErrors.TargetDoesNotExist();

    private async Task ReleaseAsync(string targetName, int lun, AttachedDisk disk)
    {
        _port.RemoveLun(targetName, lun);
        try
        {
            await disk.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            LogCloseFailed(disk.Path, ex.Message);
        }

        LogDetached(disk.Path, targetName, lun);
    }

    private async Task<T> UnderGateAsync<T>(Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await operation().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Publishes the new state to LIST and writes it to the state file.</summary>
    private async Task CommitAsync(CancellationToken cancellationToken)
    {
        var ordered = _targets.Values.OrderBy(t => t.Id).ToList();
        Volatile.Write(ref _snapshot, [.. ordered.Select(t => new TargetListing(t.Name, t.Id, [.. t.AllPaths()], [])
        {
            Failures = t.Failed.ToDictionary(f => f.Key, f => f.Value.Error),
        })]);
        if (_state is null)
        {
            return;
        }

        var state = new Qcow2TargetState
        {
            Targets = [.. ordered.Select(t => new Qcow2TargetState.TargetRecord
            {
                Name = t.Name,
                Id = t.Id,
                Luns = [.. t.AllPaths().Select(l => new Qcow2TargetState.LunRecord { Lun = l.Lun, Path = l.Path })],
            })],
            Serials = new Dictionary<string, string>(_serials, StringComparer.Ordinal),
        };
        try
        {
            await _state.WriteAsync(state, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogStateWriteFailed(_state.Path, ex.Message);
        }
    }

    private sealed class ServedTarget(string name, int id)
    {
        public string Name { get; } = name;

        public int Id { get; } = id;

        public SortedDictionary<int, AttachedDisk> Luns { get; } = [];

        /// <summary>Disks of the state file that failed to open: they keep their LUN, and the state file keeps them.</summary>
        public SortedDictionary<int, FailedDisk> Failed { get; } = [];

        /// <summary>Every LUN's disk path, served or failed, in LUN order.</summary>
        public IEnumerable<(int Lun, string Path)> AllPaths() =>
            Luns.Select(l => (l.Key, l.Value.Path)).Concat(Failed.Select(f => (f.Key, f.Value.Path))).OrderBy(l => l.Item1);
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Target {Target} added")]
    private partial void LogTargetAdded(string target);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Target {Target} deleted")]
    private partial void LogTargetDeleted(string target);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Attached {Path} to {Target} as LUN {Lun}")]
    private partial void LogAttached(string path, string target, int lun);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Detached {Path} (LUN {Lun}) from {Target}")]
    private partial void LogDetached(string path, string target, int lun);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Closing {Path} failed: {Reason}")]
    private partial void LogCloseFailed(string path, string reason);

    [LoggerMessage(EventId = 105, Level = LogLevel.Error, Message = "Writing the state file {Path} failed: {Reason}")]
    private partial void LogStateWriteFailed(string path, string reason);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "Restore: disk {Path} of target {Target} left out: {Reason}")]
    private partial void LogRestoreSkippedDisk(string path, string target, string reason);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning, Message = "Restore: target {Target} left out (invalid or duplicate name)")]
    private partial void LogRestoreSkippedTarget(string target);

    [LoggerMessage(EventId = 108, Level = LogLevel.Error, Message = "Restore: disk {Path} of target {Target} (LUN {Lun}) failed to open and is not served: {Reason}")]
    private partial void LogRestoreFailedDisk(string path, string target, int lun, string reason);
}
