using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Targets;

namespace Targetd.Iscsi.Server;

/// <content>
/// Carries REPORTED LUNS DATA HAS CHANGED: the SCSI layer's <see cref="ReportedLunsAttention"/> decides it from the
/// inventory stamp of the LUNs this session's initiator sees.
/// </content>
internal sealed partial class IscsiConnection
{
    private ReportedLunsAttention? _reportedLuns;

    /// <summary>Remembers the LUN inventory the session starts with.</summary>
    private void StartInventory(IscsiTarget target) => _reportedLuns = new ReportedLunsAttention(target.InventoryOf(Login.InitiatorName));

    /// <summary>The unit attention a command must report instead of running, if any.</summary>
    private SenseData? TakeInventoryAttention(IscsiTarget target, IReadOnlyDictionary<int, ScsiLogicalUnit> units, int lun, ReadOnlySpan<byte> cdb) =>
        _reportedLuns?.Take(target.InventoryOf(Login.InitiatorName), units.Keys, lun, cdb);
}
