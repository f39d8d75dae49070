namespace Targetd.Iscsi.Scsi;

/// <summary>
/// REPORTED LUNS DATA HAS CHANGED for one I_T nexus (SAM-5 §5.14, SPC-4 §6.33): once a LUN the nexus sees is added or
/// removed, the next command to each LUN it then sees ends with that unit attention (REQUEST SENSE returns it as its
/// data), until REPORT LUNS clears it for them all. The transport gives it the inventory stamp and the LUNs; the
/// decision is this class's. Safe for concurrent commands of one nexus.
/// </summary>
internal sealed class ReportedLunsAttention
{
    private readonly Lock _gate = new();
    private long _seen;
    private HashSet<int>? _pending;

    /// <param name="stamp">The stamp of the LUN inventory the nexus starts with.</param>
    public ReportedLunsAttention(long stamp) => _seen = stamp;

    /// <summary>
    /// Whether <see cref="Take"/> may report anything at <paramref name="stamp"/>: false while the inventory is the one
    /// the nexus saw and nothing is pending, so a caller need not list the LUNs for it.
    /// </summary>
    public bool MayReport(long stamp) => stamp != Volatile.Read(ref _seen) || Volatile.Read(ref _pending) is not null;

    /// <summary>The unit attention a command must report instead of running, if any.</summary>
    /// <param name="stamp">The stamp of the inventory the nexus sees now.</param>
    /// <param name="luns">The LUNs it sees now.</param>
    /// <param name="lun">The LUN the command addresses.</param>
    /// <param name="cdb">The command.</param>
    public SenseData? Take(long stamp, IEnumerable<int> luns, int lun, ReadOnlySpan<byte> cdb)
    {
        if (!MayReport(stamp))
        {
            return null;
        }

        lock (_gate)
        {
            if (stamp != _seen)
            {
                _seen = stamp;
                _pending = [.. luns];
            }

            if (cdb.IsEmpty)
            {
                return null;
            }

            if (cdb[0] == (byte)ScsiOpcode.ReportLuns)
            {
                _pending = null; // the initiator reads the new inventory
                return null;
            }

            // SAM-5 §5.14: INQUIRY never reports a unit attention; descriptor-format REQUEST SENSE is refused by the unit.
            if (cdb[0] == (byte)ScsiOpcode.Inquiry || (cdb[0] == (byte)ScsiOpcode.RequestSense && cdb.Length > 1 && (cdb[1] & 0x01) != 0))
            {
                return null;
            }

            if (_pending is not { } pending || !pending.Remove(lun))
            {
                return null;
            }

            if (pending.Count == 0)
            {
                _pending = null;
            }

            return Sense.UnitAttention(0x3F, 0x0E);
        }
    }
}
