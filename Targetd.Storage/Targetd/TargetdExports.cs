using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json;
using Targetd.Core.BlockDevices;
using Targetd.Core.Errors;
using Targetd.Core.Exports;
using Targetd.Core.Names;
using Targetd.Storage.Errors;
using Targetd.Qcow2;
using Targetd.Storage.Pools;
using Targetd.Storage.Qcow2Target;
using Targetd.Storage.State;
using static Targetd.Storage.Targetd.ExportState;

namespace Targetd.Storage.Targetd;

/// <summary>
/// Exports of block volumes through one iSCSI target, as targetd's export, initiator and access-group methods
/// describe them (targetd API 0.7 §7.3–7.5): per-initiator mappings and CHAP (enforced), access groups whose
/// mappings every member sees. The configuration persists and is applied again on start.
/// </summary>
/// <remarks>
/// The service owns every export, initiator and access-group rule and serialises its changes under its own lock,
/// whoever calls it. The state is a snapshot that is never changed once published: a change builds the next
/// snapshot and replaces it, so readers (lists, <see cref="IsExported"/>) need no lock.
/// </remarks>
public sealed partial class TargetdExports : IAsyncDisposable
{
    /// <summary>The highest host LUN id handed out automatically.</summary>
    public const int MaxHostLunId = 255;

    private readonly string _targetName;
    private readonly IIscsiTargetPort _port;
    private readonly Func<string, IBlockPool> _pool;
    private readonly AtomicJsonFile<ExportState>? _stateFile;
    private readonly ILogger _logger;
    private readonly Dictionary<(string Initiator, int Lun), MappingRecord> _appliedMappings = [];

    /// <summary>
    /// Mappings of the state that could not be applied at start (their pool unavailable, their volume gone):
    /// retried on every change, but their failure fails no other change.
    /// </summary>
    private readonly Dictionary<(string Initiator, int Lun), MappingRecord> _skippedMappings = [];
    private readonly Dictionary<string, ChapRecord?> _appliedInitiators = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<(string Pool, string Volume), (IBlockDevice Device, int References)> _devices = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile ExportState _state = new();
    private bool _disposed;

    /// <param name="targetName">The one target every export lives on.</param>
    /// <param name="port">The iSCSI target.</param>
    /// <param name="pool">Finds a block pool by name (-110 when there is none).</param>
    /// <param name="stateFile">Where the configuration persists; null keeps it in memory.</param>
    /// <param name="logger">Logs applied changes.</param>
    public TargetdExports(string targetName, IIscsiTargetPort port, Func<string, IBlockPool> pool, string? stateFile = null, ILogger<TargetdExports>? logger = null)
    {
        _targetName = targetName;
        _port = port ?? throw new ArgumentNullException(nameof(port));
        _pool = pool ?? throw new ArgumentNullException(nameof(pool));
        _stateFile = stateFile is null ? null : new AtomicJsonFile<ExportState>(stateFile, ExportStateJson.ToJson, ExportStateJson.FromJson);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Creates the target and applies the persisted configuration; volumes that vanished are logged and left out.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_port.HasTarget(_targetName))
            {
                _port.AddTarget(_targetName);
            }

            _state = (_stateFile is null ? null : await _stateFile.ReadAsync(cancellationToken).ConfigureAwait(false)) ?? new ExportState();
            await ReconcileAsync(_state, tolerant: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Whether a volume is mapped to any initiator or group.</summary>
    public bool IsExported(string pool, string volume)
    {
        var state = _state;
        return state.Initiators.Values.SelectMany(i => i.Mappings).Concat(state.Groups.Values.SelectMany(g => g.Mappings))
            .Any(m => m.Pool == pool && m.Volume == volume);
    }

    /// <summary>
    /// <c>vol_resize</c>. A volume that is exported is grown through the device that serves it, never through a second
    /// opener (an image's locks refuse one): a qcow2 image grows in place, any other volume is grown by its pool. Either
    /// way its initiators are told (CAPACITY DATA HAS CHANGED) and then read the new capacity.
    /// </summary>
    public async Task ResizeAsync(IBlockPool pool, string volume, long size, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pool);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ResizeLockedAsync(pool, volume, size, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ResizeLockedAsync(IBlockPool pool, string volume, long size, CancellationToken cancellationToken)
    {
        if (!_devices.TryGetValue((pool.Name, volume), out var open))
        {
            await pool.ResizeAsync(volume, size, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (open.Device is Qcow2Image image)
        {
            if (size <= image.Length)
            {
                throw TargetdErrors.SizeNotLarger(size, volume, pool.Name);
            }

            await image.ResizeAsync(size, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await pool.ResizeAsync(volume, size, cancellationToken).ConfigureAwait(false);
        }

        if (_port.CapacityChanged(open.Device))
        {
            LogResizedInPlace(pool.Name, volume, open.Device.Length);
        }
    }

    /// <summary>export_list rows: every initiator's effective mappings.</summary>
    public async Task<IReadOnlyList<(string Initiator, int Lun, string Volume, string Pool, string Uuid, long Size)>> ExportListAsync(CancellationToken cancellationToken)
    {
        var rows = new List<(string, int, string, string, string, long)>();
        var volumes = new Dictionary<string, IReadOnlyList<BlockVolume>>(StringComparer.Ordinal);
        var state = _state;
        foreach (var (initiator, record) in state.Initiators)
        {
            foreach (var mapping in Effective(state, record).OrderBy(m => m.Lun))
            {
                if (!volumes.TryGetValue(mapping.Pool, out var list))
                {
                    volumes[mapping.Pool] = list = await _pool(mapping.Pool).ListAsync(cancellationToken).ConfigureAwait(false);
                }

                var volume = list.FirstOrDefault(v => v.Name == mapping.Volume);
                if (volume is not null)
                {
                    rows.Add((initiator, mapping.Lun, mapping.Volume, mapping.Pool, volume.Uuid, volume.Size));
                }
            }
        }

        return rows;
    }

    /// <summary>export_create: idempotent for the same volume, initiator and LUN.</summary>
    public async Task ExportCreateAsync(string pool, string volume, string initiator, int lun, CancellationToken cancellationToken)
    {
        await RequireVolumeAsync(pool, volume, cancellationToken).ConfigureAwait(false);
        RequireInitiatorName(initiator);
        if (lun is < 0 or > MaxHostLunId)
        {
            throw new TargetdException(TargetdErrorCode.InvalidArgument, $"LUN {lun} is out of range 0 ~ {MaxHostLunId}");
        }

        await MutateAsync(state =>
        {
            var record = state.InitiatorOrNew(initiator);
            var existing = Effective(state, record).FirstOrDefault(m => m.Lun == lun);
            if (existing is not null)
            {
                if (existing.Pool == pool && existing.Volume == volume)
                {
                    return state;
                }

                throw new TargetdException(TargetdErrorCode.Invalid, $"LUN {lun} of {initiator} is already mapped to {existing.Pool}/{existing.Volume}");
            }

            return state.With(initiator, record with { Mappings = record.Mappings.Add(new MappingRecord(lun, pool, volume)) });
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>export_destroy: -151 when the volume is not mapped for the initiator.</summary>
    public Task ExportDestroyAsync(string pool, string volume, string initiator, CancellationToken cancellationToken) =>
        MutateAsync(state =>
        {
            if (!state.Initiators.TryGetValue(initiator, out var record) || record.Mappings.All(m => m.Pool != pool || m.Volume != volume))
            {
                throw TargetdErrors.ExportNotFound(volume, initiator);
            }

            record = record with { Mappings = record.Mappings.RemoveAll(m => m.Pool == pool && m.Volume == volume) };
            return record.Mappings.Count == 0 && record.Group is null && record.Chap is null ? state.WithoutInitiator(initiator) : state.With(initiator, record);
        }, cancellationToken);

    /// <summary>initiator_set_auth: empty or null values clear that direction; CHAP is enforced.</summary>
    public Task InitiatorSetAuthAsync(string initiator, string? inUser, string? inPass, string? outUser, string? outPass, CancellationToken cancellationToken)
    {
        RequireInitiatorName(initiator);
        bool incoming = !string.IsNullOrEmpty(inUser) && !string.IsNullOrEmpty(inPass);
        bool outgoing = !string.IsNullOrEmpty(outUser) && !string.IsNullOrEmpty(outPass);
        if (outgoing && !incoming)
        {
            throw new TargetdException(TargetdErrorCode.InvalidArgument, "Mutual CHAP (out_user/out_pass) needs in_user/in_pass too");
        }

        if (outgoing && outPass == inPass)
        {
            throw new TargetdException(TargetdErrorCode.InvalidArgument, "The target's CHAP secret must differ from the initiator's");
        }

        var chap = incoming ? new ChapRecord(inUser!, inPass!, outgoing ? outUser : null, outgoing ? outPass : null) : null;
        return MutateAsync(state => state.With(initiator, state.InitiatorOrNew(initiator) with { Chap = chap }), cancellationToken);
    }

    /// <summary>initiator_list: every initiator, or only those in no access group.</summary>
    public IReadOnlyList<string> InitiatorList(bool standaloneOnly) =>
        [.. _state.Initiators.Where(i => !standaloneOnly || i.Value.Group is null).Select(i => i.Key)];

    /// <summary>
    /// Under the lock: builds the next snapshot from the current one, applies it to the target, then
    /// persists it and publishes it; a failure changes nothing.
    /// </summary>
    private async Task MutateAsync(Func<ExportState, ExportState> change, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var next = change(_state);
            try
            {
                await ReconcileAsync(next, tolerant: false, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await ReconcileAsync(_state, tolerant: true, CancellationToken.None).ConfigureAwait(false);
                throw;
            }

            _state = next;
            if (_stateFile is not null)
            {
                await _stateFile.WriteAsync(next, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private static IEnumerable<MappingRecord> Effective(ExportState state, InitiatorRecord record) =>
        record.Group is { } group && state.Groups.TryGetValue(group, out var members) ? record.Mappings.Concat(members.Mappings) : record.Mappings;

    private async Task RequireVolumeAsync(string pool, string volume, CancellationToken cancellationToken)
    {
        var found = _pool(pool);
        if ((await found.ListAsync(cancellationToken).ConfigureAwait(false)).All(v => v.Name != volume))
        {
            throw TargetdErrors.VolumeNotFound(volume, pool);
        }
    }

    private static void RequireInitiatorName(string initiator)
    {
        if (!IscsiName.IsValid(initiator))
        {
            throw new TargetdException(TargetdErrorCode.Invalid, $"RTSLibError: Invalid initiator WWN '{initiator}'");
        }
    }

    /// <summary>Brings the iSCSI target to the state: initiators with their CHAP, and each initiator's LUNs (under the lock).</summary>
    private async Task ReconcileAsync(ExportState state, bool tolerant, CancellationToken cancellationToken)
    {
        var desiredMappings = state.Initiators
            .SelectMany(i => Effective(state, i.Value).Select(m => (Key: (i.Key, m.Lun), Mapping: m)))
            .GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.First().Mapping);
        foreach (var (key, mapping) in _appliedMappings.ToList())
        {
            if (!desiredMappings.TryGetValue(key, out var wanted) || wanted != mapping)
            {
                _port.UnmapLun(_targetName, key.Initiator, key.Lun);
                _appliedMappings.Remove(key);
                await ReleaseAsync(mapping).ConfigureAwait(false);
            }
        }

        foreach (var initiator in _appliedInitiators.Keys.Where(i => !state.Initiators.ContainsKey(i)).ToList())
        {
            _port.RemoveInitiator(_targetName, initiator);
            _appliedInitiators.Remove(initiator);
        }

        foreach (var (initiator, record) in state.Initiators)
        {
            if (!_appliedInitiators.TryGetValue(initiator, out var chap) || chap != record.Chap)
            {
                _port.SetInitiator(_targetName, initiator, record.Chap is { } c ? new InitiatorCredentials(c.InUser, c.InPass, c.OutUser, c.OutPass) : null);
                _appliedInitiators[initiator] = record.Chap;
            }
        }

        foreach (var key in _skippedMappings.Keys.Where(k => !desiredMappings.TryGetValue(k, out var wanted) || wanted != _skippedMappings[k]).ToList())
        {
            _skippedMappings.Remove(key);
        }

        var listings = new Dictionary<string, IReadOnlyList<BlockVolume>>(StringComparer.Ordinal);
        foreach (var (key, mapping) in desiredMappings.Where(d => !_appliedMappings.ContainsKey(d.Key)))
        {
            try
            {
                var (device, serial) = await AcquireAsync(mapping, listings, cancellationToken).ConfigureAwait(false);
                _port.MapLun(_targetName, key.Item1, key.Lun, device, serial);
                _appliedMappings[key] = mapping;
                _skippedMappings.Remove(key);
            }
            catch (Exception ex) when ((tolerant || _skippedMappings.ContainsKey(key)) && ex is TargetdException or StorageException or IOException or InvalidOperationException)
            {
                if (tolerant)
                {
                    _skippedMappings[key] = mapping;
                }

                LogMappingSkipped(mapping.Pool, mapping.Volume, key.Item1, ex.Message);
            }
        }
    }

    private async Task<(IBlockDevice Device, string Serial)> AcquireAsync(MappingRecord mapping, Dictionary<string, IReadOnlyList<BlockVolume>> listings, CancellationToken cancellationToken)
    {
        var pool = _pool(mapping.Pool);
        if (!listings.TryGetValue(mapping.Pool, out var volumes))
        {
            listings[mapping.Pool] = volumes = await pool.ListAsync(cancellationToken).ConfigureAwait(false);
        }

        string serial = volumes.FirstOrDefault(v => v.Name == mapping.Volume)?.Uuid
            ?? throw TargetdErrors.VolumeNotFound(mapping.Volume, mapping.Pool);
        var key = (mapping.Pool, mapping.Volume);
        if (_devices.TryGetValue(key, out var open))
        {
            _devices[key] = (open.Device, open.References + 1);
            return (open.Device, serial);
        }

        var device = await pool.OpenAsync(mapping.Volume, cancellationToken).ConfigureAwait(false);
        _devices[key] = (device, 1);
        return (device, serial);
    }

    private async Task ReleaseAsync(MappingRecord mapping)
    {
        var key = (mapping.Pool, mapping.Volume);
        if (!_devices.TryGetValue(key, out var open))
        {
            return;
        }

        if (open.References > 1)
        {
            _devices[key] = (open.Device, open.References - 1);
            return;
        }

        _devices.Remove(key);
        await open.Device.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await ReleaseAllAsync().ConfigureAwait(false);
            _disposed = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ReleaseAllAsync()
    {
        foreach (var key in _appliedMappings.Keys.ToList())
        {
            _port.UnmapLun(_targetName, key.Initiator, key.Lun);
        }

        _appliedMappings.Clear();
        foreach (var (device, _) in _devices.Values)
        {
            await device.DisposeAsync().ConfigureAwait(false);
        }

        _devices.Clear();
    }

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Exported volume {Pool}/{Volume} grown in place to {Length} bytes; its initiators are told")]
    private partial void LogResizedInPlace(string pool, string volume, long length);

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Export of {Pool}/{Volume} to {Initiator} left out: {Reason}")]
    private partial void LogMappingSkipped(string pool, string volume, string initiator, string reason);
}
