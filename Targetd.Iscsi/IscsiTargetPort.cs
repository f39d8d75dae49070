using System.Globalization;
using Targetd.Core.BlockDevices;
using Targetd.Core.Exports;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Server;
using Targetd.Iscsi.Targets;

namespace Targetd.Iscsi;

/// <summary>
/// The storage services' view of this engine: targets, LUNs and nexuses of a target registry. It registers one
/// <see cref="ScsiDevice"/> per block device object it is given, however many LUNs of however many targets map it,
/// and forgets it when the last of them is unmapped.
/// </summary>
/// <param name="registry">The registry the portals serve.</param>
/// <param name="reservationsDirectory">
/// Where the devices it creates keep persistent reservations that must survive a restart (APTPL); null offers none.
/// </param>
public sealed class IscsiTargetPort(IscsiTargetRegistry registry, string? reservationsDirectory = null) : IIscsiTargetPort
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IBlockDevice, (ScsiDevice Device, int Views)> _devices = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<(string Target, string? Initiator, int Lun), IBlockDevice> _views = [];
    private TargetPortGroupSettings _portGroups = TargetPortGroupSettings.Default;

    /// <summary>
    /// This gateway's target port groups (implicit ALUA, SPC-4 §5.16), which every device it registers reports. Setting
    /// them again (a reload) applies them to the devices mapped now: those whose access states change announce it.
    /// </summary>
    public TargetPortGroupSettings PortGroups
    {
        get => _portGroups;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            lock (_gate)
            {
                _portGroups = value;
                foreach (var (device, _) in _devices.Values)
                {
                    device.ApplyPortGroups(value);
                }
            }
        }
    }

    /// <inheritdoc />
    public bool HasTarget(string targetName) => registry.TryGet(targetName, out _);

    /// <inheritdoc />
    public void AddTarget(string targetName) => registry.Add(new IscsiTarget(targetName) { ReservationsDirectory = reservationsDirectory });

    /// <inheritdoc />
    public void AddTarget(string targetName, TargetAccess access)
    {
        ArgumentNullException.ThrowIfNull(access);
        var chap = access.Chap is { } c ? new ChapCredentials(c.UserName, c.Secret, c.MutualUserName, c.MutualSecret) : null;
        var target = new IscsiTarget(targetName) { ReservationsDirectory = reservationsDirectory };
        if (access.AllowedInitiators.Count == 0)
        {
            target.Chap = chap;
        }

        foreach (string initiator in access.AllowedInitiators)
        {
            target.AllowInitiator(initiator, chap);
        }

        // Registered only once its access is set: no login ever sees it open.
        registry.Add(target);
    }

    /// <inheritdoc />
    public bool RemoveTarget(string targetName)
    {
        lock (_gate)
        {
            foreach (var view in _views.Keys.Where(v => string.Equals(v.Target, targetName, StringComparison.OrdinalIgnoreCase)).ToList())
            {
                Forget(view);
            }
        }

        return registry.Remove(targetName);
    }

    /// <inheritdoc />
    public void AddLun(string targetName, int lun, IBlockDevice device, string serial) =>
        Map(targetName, null, lun, device, serial, (target, scsi) => target.AddLun(lun, scsi));

    /// <inheritdoc />
    public bool RemoveLun(string targetName, int lun) => Unmap(targetName, null, lun, target => target.RemoveLun(lun));

    /// <inheritdoc />
    public IReadOnlyList<string> GetNexuses(string targetName) =>
        [.. registry.Sessions
            .Where(s => s.TargetName is not null && string.Equals(s.TargetName, targetName, StringComparison.OrdinalIgnoreCase))
            .Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.InitiatorName}i0x{s.Isid.ToLowerInvariant()},{s.TargetName}t{TargetLimits.PortalGroupTag}"))];

    /// <inheritdoc />
    public void SetInitiator(string targetName, string initiatorName, InitiatorCredentials? chap) =>
        Target(targetName).AllowInitiator(initiatorName, chap is null ? null : new ChapCredentials(chap.UserName, chap.Secret, chap.MutualUserName, chap.MutualSecret));

    /// <inheritdoc />
    public bool RemoveInitiator(string targetName, string initiatorName) =>
        registry.TryGet(targetName, out var target) && target.RemoveInitiator(initiatorName);

    /// <inheritdoc />
    public void MapLun(string targetName, string initiatorName, int lun, IBlockDevice device, string serial) =>
        Map(targetName, initiatorName, lun, device, serial, (target, scsi) => target.MapLun(initiatorName, lun, scsi));

    /// <inheritdoc />
    public bool UnmapLun(string targetName, string initiatorName, int lun) =>
        Unmap(targetName, initiatorName, lun, target => target.UnmapLun(initiatorName, lun));

    /// <inheritdoc />
    public bool CapacityChanged(IBlockDevice device) => DeviceOf(device)?.RefreshCapacity() ?? false;

    /// <summary>The SCSI device registered for a block device, while some LUN maps it.</summary>
    public ScsiDevice? DeviceOf(IBlockDevice device)
    {
        lock (_gate)
        {
            return _devices.TryGetValue(device, out var known) ? known.Device : null;
        }
    }

    private void Map(string targetName, string? initiatorName, int lun, IBlockDevice device, string serial, Action<IscsiTarget, ScsiDevice> map)
    {
        ArgumentNullException.ThrowIfNull(device);
        var target = Target(targetName);
        lock (_gate)
        {
            if (_devices.TryGetValue(device, out var known) && !string.Equals(known.Device.Identity.Serial, serial, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The device is already mapped with serial {known.Device.Identity.Serial}, not {serial}.");
            }

            var scsi = known.Views > 0 ? known.Device : NewDevice(device, serial);
            map(target, scsi);
            _devices[device] = (scsi, known.Views + 1);
            _views[(target.Name, initiatorName?.ToUpperInvariant(), lun)] = device;
        }
    }

    private bool Unmap(string targetName, string? initiatorName, int lun, Func<IscsiTarget, bool> unmap)
    {
        if (!registry.TryGet(targetName, out var target))
        {
            return false;
        }

        lock (_gate)
        {
            if (!unmap(target))
            {
                return false;
            }

            Forget((target.Name, initiatorName?.ToUpperInvariant(), lun));
            return true;
        }
    }

    private ScsiDevice NewDevice(IBlockDevice medium, string serial)
    {
        var scsi = new ScsiDevice(medium, serial, reservationsDirectory);
        scsi.ApplyPortGroups(_portGroups);
        return scsi;
    }

    /// <summary>Drops one view; the device goes with its last view. Called under the gate.</summary>
    private void Forget((string Target, string? Initiator, int Lun) view)
    {
        if (!_views.Remove(view, out var device) || !_devices.TryGetValue(device, out var known))
        {
            return;
        }

        if (known.Views > 1)
        {
            _devices[device] = (known.Device, known.Views - 1);
        }
        else
        {
            _devices.Remove(device);
        }
    }

    private IscsiTarget Target(string targetName) =>
        registry.TryGet(targetName, out var target) ? target : throw new InvalidOperationException($"Target {targetName} does not exist.");
}
