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

    /// <summary>
    /// The unit attention a command must report instead of running, if any. The LUNs are listed only when the inventory
    /// has changed: listing them copies the keys, which most commands never need.
    /// </summary>
    private SenseData? TakeInventoryAttention(IscsiTarget target, IReadOnlyDictionary<int, ScsiLogicalUnit> units, int lun, ReadOnlySpan<byte> cdb)
    {
        if (_reportedLuns is not { } reported)
        {
            return null;
        }

        long stamp = target.InventoryOf(Login.InitiatorName);
        return reported.MayReport(stamp) ? reported.Take(stamp, units.Keys, lun, cdb) : null;
    }
}
