using Targetd.Iscsi.Scsi.Reservations;

namespace Targetd.Iscsi.Scsi;

/// <summary>
/// One row of the command table (tgt's <c>sbc_template.ops[]</c>, LIO's <c>target_opcode_descriptor</c>): everything
/// the logical unit knows about an operation code and service action. Dispatch, REPORT SUPPORTED OPERATION CODES,
/// the reservation check, sanitize gating, unit attentions and the CDB length check all read it.
/// </summary>
/// <param name="Opcode">The operation code.</param>
/// <param name="ServiceAction">The service action (byte 1, bits 0-4), or null for an opcode without service actions.</param>
/// <param name="Usage">
/// The CDB USAGE DATA REPORT SUPPORTED OPERATION CODES returns (SPC-4 §6.35.3): the opcode, then a bit set for every
/// CDB bit the device server evaluates, the service action field holding the service action itself. Its length is
/// the CDB length.
/// </param>
/// <param name="Access">How the command meets a persistent reservation held through another nexus (SPC-4 §5.9.1, table 59).</param>
/// <param name="Traits">Its exemptions and kind.</param>
/// <param name="Handler">What runs it.</param>
internal sealed record ScsiCommand(
    ScsiOpcode Opcode,
    byte? ServiceAction,
    byte[] Usage,
    CommandAccess Access,
    ScsiCommandTraits Traits,
    ScsiCommandHandler Handler)
{
    /// <summary>The CDB length the command takes.</summary>
    public int CdbLength => Usage.Length;

    public bool Has(ScsiCommandTraits trait) => (Traits & trait) == trait;
}
