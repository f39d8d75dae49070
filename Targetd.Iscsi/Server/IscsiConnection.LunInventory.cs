using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Targets;

namespace Targetd.Iscsi.Server;

/// <content>
/// REPORTED LUNS DATA HAS CHANGED (SAM-5 §5.14, SPC-4 §6.33): once a LUN the session sees is added or removed, the
/// next command to each LUN it then sees ends with that unit attention (REQUEST SENSE returns it as its data), until
/// REPORT LUNS clears it for them all.
/// </content>
internal sealed partial class IscsiConnection
{
    private readonly Lock _inventoryGate = new();
    private long _inventorySeen;
    private HashSet<int>? _inventoryPending;

    /// <summary>Remembers the LUN inventory the session starts with.</summary>
    private void StartInventory(IscsiTarget target) => _inventorySeen = target.InventoryOf(_login.InitiatorName);

    /// <summary>The unit attention a command must report instead of running, if any.</summary>
    private SenseData? TakeInventoryAttention(IscsiTarget target, IReadOnlyDictionary<int, ScsiLogicalUnit> units, int lun, ReadOnlySpan<byte> cdb)
    {
        long stamp = target.InventoryOf(_login.InitiatorName);
        if (stamp == Volatile.Read(ref _inventorySeen) && Volatile.Read(ref _inventoryPending) is null)
        {
            return null;
        }

        lock (_inventoryGate)
        {
            if (stamp != _inventorySeen)
            {
                _inventorySeen = stamp;
                _inventoryPending = [.. units.Keys];
            }

            switch ((ScsiOpcode)cdb[0])
            {
                case ScsiOpcode.ReportLuns:
                    _inventoryPending = null; // the initiator reads the new inventory
                    return null;
                case ScsiOpcode.Inquiry:
                    return null; // never reports a unit attention (SAM-5 §5.14)
                case ScsiOpcode.RequestSense when (cdb[1] & 0x01) != 0:
                    return null; // descriptor format: the unit refuses it

            }

            if (_inventoryPending is not { } pending || !pending.Remove(lun))
            {
                return null;
            }

            if (pending.Count == 0)
            {
                _inventoryPending = null;
            }

            return Sense.UnitAttention(0x3F, 0x0E);
        }
    }
}
