using System.Collections.Concurrent;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi;

namespace Targetd.Iscsi.Targets;

/// <summary>
/// An iSCSI target: a name, logical units over block devices, and who may log in. With no initiator in
/// <see cref="Acls"/> access is open (optionally guarded by <see cref="Chap"/>); otherwise only listed initiators
/// are admitted, each with its own credentials. Every member is safe to use while sessions run.
/// </summary>
public sealed class IscsiTarget
{
    /// <summary>The highest LUN served (flat space addressing, SAM-5 §4.7.7.3).</summary>
    public const int MaxLun = 16383;

    private readonly ConcurrentDictionary<int, ScsiLogicalUnit> _units = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<int, ScsiLogicalUnit>> _mappedUnits = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, long> _mappedInventory = new(StringComparer.OrdinalIgnoreCase);
    private long _inventoryChanges;
    private long _sharedInventory;
    private readonly ConcurrentDictionary<string, IscsiInitiatorAcl> _acls = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates a target with no LUNs and open access.</summary>
    /// <param name="name">The target's iSCSI name, such as <c>iqn.2003-01.net.targetd:disk1</c>.</param>
    /// <param name="alias">An optional human-readable TargetAlias.</param>
    public IscsiTarget(string name, string? alias = null)
    {
        if (!IscsiName.IsValid(name))
        {
            throw new ArgumentException($"'{name}' is not a valid iSCSI name.", nameof(name));
        }

        Name = name;
        Alias = alias;
    }

    /// <summary>The iSCSI name.</summary>
    public string Name { get; }

    /// <summary>The TargetAlias sent at login, if any.</summary>
    public string? Alias { get; }

    /// <summary>Credentials every initiator must present when <see cref="Acls"/> is empty; null for none.</summary>
    public ChapCredentials? Chap { get; set; }

    /// <summary>The mapped LUNs, in ascending order.</summary>
    public IReadOnlyList<int> Luns => [.. _units.Keys.Order()];

    /// <summary>The initiators admitted; empty means open access.</summary>
    public IReadOnlyList<IscsiInitiatorAcl> Acls => [.. _acls.Values.OrderBy(a => a.InitiatorName, StringComparer.OrdinalIgnoreCase)];

    internal IReadOnlyDictionary<int, ScsiLogicalUnit> Units => _units;

    /// <summary>
    /// The LUNs an initiator sees: its own mapped LUNs when any were mapped for it (as a LIO node ACL maps
    /// them), else the target's LUNs.
    /// </summary>
    internal IReadOnlyDictionary<int, ScsiLogicalUnit> UnitsFor(string initiatorName) =>
        _mappedUnits.TryGetValue(initiatorName, out var mapped) ? mapped : _units;

    /// <summary>
    /// A stamp of the LUN inventory an initiator sees: it changes whenever a LUN it sees (or saw) is added or
    /// removed, so a session that compares stamps knows when to report REPORTED LUNS DATA HAS CHANGED.
    /// </summary>
    internal long InventoryOf(string initiatorName) =>
        _mappedInventory.TryGetValue(initiatorName, out long stamp) ? stamp : Interlocked.Read(ref _sharedInventory);

    /// <summary>A stamp never given before: stamps of the shared LUNs and of every mapping come from one counter.</summary>
    private long NextInventoryStamp() => Interlocked.Increment(ref _inventoryChanges);

    /// <summary>The LUN numbers mapped for one initiator, in ascending order (empty when it has none of its own).</summary>
    public IReadOnlyList<int> MappedLunsOf(string initiatorName) =>
        _mappedUnits.TryGetValue(initiatorName, out var mapped) ? [.. mapped.Keys.Order()] : [];

    /// <summary>
    /// Maps <paramref name="device"/> at <paramref name="mappedLun"/> for one initiator only; that initiator then
    /// sees exactly its mapped LUNs.
    /// </summary>
    /// <param name="initiatorName">The initiator's iSCSI name.</param>
    /// <param name="mappedLun">The LUN the initiator sees, 0 to <see cref="MaxLun"/>, not already mapped for it.</param>
    /// <param name="device">The backing device; the target does not dispose it.</param>
    /// <param name="serial">
    /// A stable unit serial number (the volume's identity, the same for every initiator). A device this target
    /// already shows is the same SCSI device again: its serial must match.
    /// </param>
    public void MapLun(string initiatorName, int mappedLun, IBlockDevice device, string serial) =>
        MapLun(initiatorName, mappedLun, DeviceFor(device, serial));

    /// <summary>
    /// Maps a SCSI device at <paramref name="mappedLun"/> for one initiator only; that initiator then sees exactly
    /// its mapped LUNs. Every LUN of one <see cref="ScsiDevice"/> shares its identity, reservations and atomicity.
    /// </summary>
    /// <param name="initiatorName">The initiator's iSCSI name.</param>
    /// <param name="mappedLun">The LUN the initiator sees, 0 to <see cref="MaxLun"/>, not already mapped for it.</param>
    /// <param name="device">The device.</param>
    public void MapLun(string initiatorName, int mappedLun, ScsiDevice device)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(mappedLun);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mappedLun, MaxLun);
        ArgumentNullException.ThrowIfNull(device);
        var mapped = _mappedUnits.GetOrAdd(initiatorName, _ => new ConcurrentDictionary<int, ScsiLogicalUnit>());
        if (!mapped.TryAdd(mappedLun, new ScsiLogicalUnit(device, Name, mappedLun)))
        {
            throw new InvalidOperationException($"LUN {mappedLun} is already mapped for {initiatorName} on {Name}.");
        }

        _mappedInventory[initiatorName] = NextInventoryStamp();
    }

    /// <summary>Unmaps one initiator's LUN; commands in flight finish.</summary>
    /// <returns>Whether it was mapped.</returns>
    public bool UnmapLun(string initiatorName, int mappedLun)
    {
        if (!_mappedUnits.TryGetValue(initiatorName, out var mapped) || !mapped.TryRemove(mappedLun, out _))
        {
            return false;
        }

        if (mapped.IsEmpty)
        {
            // The initiator sees the target's LUNs again, whose stamp differs from every stamp of its own mapping.
            _mappedUnits.TryRemove(initiatorName, out _);
            _mappedInventory.TryRemove(initiatorName, out _);
        }
        else
        {
            _mappedInventory[initiatorName] = NextInventoryStamp();
        }

        return true;
    }

    /// <summary>
    /// The folder where the devices this target creates (<see cref="AddLun(int, IBlockDevice, string?)"/>,
    /// <see cref="MapLun(string, int, IBlockDevice, string)"/>) keep persistent reservations an initiator asked to
    /// survive power loss (APTPL), one file per device named by its NAA designator; null (the default) offers none.
    /// Applies to devices created after it is set.
    /// </summary>
    public string? ReservationsDirectory { get; set; }

    /// <summary>Maps <paramref name="device"/> at <paramref name="lun"/>.</summary>
    /// <param name="lun">The LUN, 0 to <see cref="MaxLun"/>, not already mapped.</param>
    /// <param name="device">The backing device; the target does not dispose it.</param>
    /// <param name="serial">
    /// A stable serial number; derived from the target name and LUN when null. A device this target already shows
    /// is the same SCSI device again: a serial given must then match.
    /// </param>
    public void AddLun(int lun, IBlockDevice device, string? serial = null) =>
        AddLun(lun, DeviceFor(device, serial ?? (FindDevice(device)?.Identity.Serial ?? ScsiLogicalUnit.DerivedSerial(Name, lun))));

    /// <summary>Maps a SCSI device at <paramref name="lun"/>; every LUN of one device shares its state.</summary>
    /// <param name="lun">The LUN, 0 to <see cref="MaxLun"/>, not already mapped.</param>
    /// <param name="device">The device.</param>
    public void AddLun(int lun, ScsiDevice device)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lun);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lun, MaxLun);
        ArgumentNullException.ThrowIfNull(device);
        if (!_units.TryAdd(lun, new ScsiLogicalUnit(device, Name, lun)))
        {
            throw new InvalidOperationException($"LUN {lun} is already mapped on {Name}.");
        }

        Interlocked.Exchange(ref _sharedInventory, NextInventoryStamp());
    }

    /// <summary>The SCSI device some LUN of this target already shows for a block device, if any.</summary>
    private ScsiDevice? FindDevice(IBlockDevice medium) =>
        _units.Values.Concat(_mappedUnits.Values.SelectMany(m => m.Values))
            .Select(u => u.Device)
            .FirstOrDefault(d => ReferenceEquals(d.Medium, medium));

    /// <summary>The device already shown for a block device (whose serial must match), or a new one.</summary>
    private ScsiDevice DeviceFor(IBlockDevice medium, string serial)
    {
        ArgumentNullException.ThrowIfNull(medium);
        if (FindDevice(medium) is not { } known)
        {
            return new ScsiDevice(medium, serial, ReservationsDirectory);
        }

        return string.Equals(known.Identity.Serial, serial, StringComparison.Ordinal)
            ? known
            : throw new InvalidOperationException($"The device is already mapped on {Name} with serial {known.Identity.Serial}, not {serial}.");
    }

    /// <summary>Unmaps a LUN; commands in flight finish, later ones see LOGICAL UNIT NOT SUPPORTED.</summary>
    /// <returns>Whether the LUN was mapped.</returns>
    public bool RemoveLun(int lun)
    {
        if (!_units.TryRemove(lun, out _))
        {
            return false;
        }

        Interlocked.Exchange(ref _sharedInventory, NextInventoryStamp());
        return true;
    }

    /// <summary>
    /// Admits an initiator, replacing an earlier entry for the same name. When that entry asked for other credentials,
    /// the sessions the initiator logged in with them end (a rotated secret admits only logins that prove the new one).
    /// </summary>
    /// <param name="initiatorName">The initiator's iSCSI name.</param>
    /// <param name="chap">Credentials it must present, or null for none.</param>
    public void AllowInitiator(string initiatorName, ChapCredentials? chap = null)
    {
        if (!IscsiName.IsValid(initiatorName))
        {
            throw new ArgumentException($"'{initiatorName}' is not a valid iSCSI name.", nameof(initiatorName));
        }

        var entry = new IscsiInitiatorAcl(initiatorName, chap);
        IscsiInitiatorAcl? previous = null;
        _acls.AddOrUpdate(initiatorName, entry, (_, old) =>
        {
            previous = old;
            return entry;
        });
        if (previous is not null && previous.Chap != chap)
        {
            AdmissionWithdrawn?.Invoke(this, initiatorName);
        }
    }

    /// <summary>Withdraws an initiator's admission and ends the sessions it has on the target.</summary>
    /// <returns>Whether the initiator was listed.</returns>
    public bool RemoveInitiator(string initiatorName)
    {
        if (!_acls.TryRemove(initiatorName, out _))
        {
            return false;
        }

        AdmissionWithdrawn?.Invoke(this, initiatorName);
        return true;
    }

    /// <summary>An initiator's admission was withdrawn or its credentials changed: the registry ends its sessions.</summary>
    internal event Action<IscsiTarget, string>? AdmissionWithdrawn;

    /// <summary>Whether an initiator may log in, and the credentials it must then present (null for none).</summary>
    internal bool TryAuthorize(string initiatorName, out ChapCredentials? chap)
    {
        if (_acls.IsEmpty)
        {
            chap = Chap;
            return true;
        }

        if (_acls.TryGetValue(initiatorName, out var acl))
        {
            chap = acl.Chap;
            return true;
        }

        chap = null;
        return false;
    }

    /// <summary>Whether an initiator may see this target in SendTargets.</summary>
    internal bool IsVisibleTo(string initiatorName) => _acls.IsEmpty || _acls.ContainsKey(initiatorName);
}
