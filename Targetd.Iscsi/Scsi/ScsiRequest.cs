namespace Targetd.Iscsi.Scsi;

/// <summary>A SCSI command as the transport delivers it: the CDB, the I_T nexus that sent it and its data buffers.</summary>
/// <param name="Cdb">The command descriptor block (6 to 16 bytes).</param>
/// <param name="Nexus">An identifier of the I_T nexus (initiator port, target port), unique while the nexus exists.</param>
/// <param name="DataOut">The data the initiator sent (writes); empty otherwise.</param>
/// <param name="DataIn">The buffer for data to the initiator (reads), as long as the initiator expects; empty otherwise.</param>
/// <param name="InitiatorPort">
/// The initiator port name of the nexus (for iSCSI "name,i,0x" + ISID, SPC-4 §7.5.4.6): reservations are kept per port so
/// that they survive a new connection from the same initiator port. Null when the transport has none.
/// </param>
/// <param name="VisibleUnits">
/// The logical units this I_T nexus may address, by LUN (what EXTENDED COPY may name as source or destination);
/// null when only the addressed unit is known.
/// </param>
internal readonly record struct ScsiRequest(
    ReadOnlyMemory<byte> Cdb,
    ulong Nexus,
    ReadOnlyMemory<byte> DataOut,
    Memory<byte> DataIn,
    string? InitiatorPort = null,
    IReadOnlyDictionary<int, ScsiLogicalUnit>? VisibleUnits = null)
{
    /// <summary>The initiator port, or a name unique to the nexus when the transport gave none.</summary>
    public string Port => InitiatorPort ?? "nexus-" + Nexus.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
