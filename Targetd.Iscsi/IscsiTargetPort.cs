using System.Globalization;
using Targetd.Core.BlockDevices;
using Targetd.Core.Exports;
using Targetd.Iscsi.Server;
using Targetd.Iscsi.Targets;

namespace Targetd.Iscsi;

/// <summary>The storage services' view of this engine: targets, LUNs and nexuses of a target registry.</summary>
/// <param name="registry">The registry the portals serve.</param>
/// <param name="reservationsDirectory">
/// Where the targets it creates keep persistent reservations that must survive a restart (APTPL); null offers none.
/// </param>
public sealed class IscsiTargetPort(IscsiTargetRegistry registry, string? reservationsDirectory = null) : IIscsiTargetPort
{
    /// <inheritdoc />
    public bool HasTarget(string targetName) => registry.TryGet(targetName, out _);

    /// <inheritdoc />
    public void AddTarget(string targetName) => registry.Add(new IscsiTarget(targetName) { ReservationsDirectory = reservationsDirectory });

    /// <inheritdoc />
    public bool RemoveTarget(string targetName) => registry.Remove(targetName);

    /// <inheritdoc />
    public void AddLun(string targetName, int lun, IBlockDevice device)
    {
        if (!registry.TryGet(targetName, out var target))
        {
            throw new InvalidOperationException($"Target {targetName} does not exist.");
        }

        target.AddLun(lun, device);
    }

    /// <inheritdoc />
    public bool RemoveLun(string targetName, int lun) => registry.TryGet(targetName, out var target) && target.RemoveLun(lun);

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
        Target(targetName).MapLun(initiatorName, lun, device, serial);

    /// <inheritdoc />
    public bool UnmapLun(string targetName, string initiatorName, int lun) =>
        registry.TryGet(targetName, out var target) && target.UnmapLun(initiatorName, lun);

    private IscsiTarget Target(string targetName) =>
        registry.TryGet(targetName, out var target) ? target : throw new InvalidOperationException($"Target {targetName} does not exist.");
}
