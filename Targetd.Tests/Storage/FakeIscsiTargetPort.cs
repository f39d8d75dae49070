using Targetd.Core.BlockDevices;
using Targetd.Core.Exports;

namespace Targetd.Tests.Storage;

/// <summary>An iSCSI target port that records targets and LUNs; tests set the logged-in nexuses.</summary>
internal sealed class FakeIscsiTargetPort : IIscsiTargetPort
{
    private readonly Dictionary<string, Dictionary<int, IBlockDevice>> _targets = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, List<string>> Nexuses { get; } = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyDictionary<int, IBlockDevice> LunsOf(string target) => _targets[target];

    public IReadOnlyCollection<string> TargetNames => _targets.Keys;

    public bool HasTarget(string targetName) => _targets.ContainsKey(targetName);

    public void AddTarget(string targetName)
    {
        if (!_targets.TryAdd(targetName, []))
        {
            throw new InvalidOperationException("exists");
        }
    }

    public void AddTarget(string targetName, TargetAccess access)
    {
        AddTarget(targetName);
        Access[targetName] = access;
    }

    /// <summary>The access each target was created with, when one was given.</summary>
    public Dictionary<string, TargetAccess> Access { get; } = new(StringComparer.OrdinalIgnoreCase);

    public bool RemoveTarget(string targetName) => _targets.Remove(targetName);

    /// <summary>The serial each added LUN was given, by target and LUN.</summary>
    public Dictionary<(string Target, int Lun), string> Serials { get; } = [];

    public void AddLun(string targetName, int lun, IBlockDevice device, string serial)
    {
        if (!_targets[targetName].TryAdd(lun, device))
        {
            throw new InvalidOperationException("lun taken");
        }

        Serials[(targetName, lun)] = serial;
    }

    public bool RemoveLun(string targetName, int lun) => _targets.TryGetValue(targetName, out var luns) && luns.Remove(lun);

    public IReadOnlyList<string> GetNexuses(string targetName) =>
        Nexuses.TryGetValue(targetName, out var list) ? list : [];

    public Dictionary<string, InitiatorCredentials?> Initiators { get; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<(string Initiator, int Lun), IBlockDevice> Mapped { get; } = [];

    public void SetInitiator(string targetName, string initiatorName, InitiatorCredentials? chap) => Initiators[initiatorName] = chap;

    public bool RemoveInitiator(string targetName, string initiatorName) => Initiators.Remove(initiatorName);

    public void MapLun(string targetName, string initiatorName, int lun, IBlockDevice device, string serial) => Mapped.Add((initiatorName, lun), device);

    public bool UnmapLun(string targetName, string initiatorName, int lun) => Mapped.Remove((initiatorName, lun));

    /// <summary>The devices reported resized, in order.</summary>
    public List<IBlockDevice> Resized { get; } = [];

    public bool CapacityChanged(IBlockDevice device)
    {
        Resized.Add(device);
        return true;
    }
}
