namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>The flag bits of a SCSI Command's byte 1 (RFC 7143 §11.3.1); its task attribute is <see cref="TaskAttribute"/>.</summary>
[Flags]
internal enum ScsiCommandFlags : byte
{
    None = 0,

    /// <summary>"(W) set to 1 when the command is expected to output data."</summary>
    Write = 0x20,

    /// <summary>"(R) set to 1 when the command is expected to input data."</summary>
    Read = 0x40,

    /// <summary>"(F) set to 1 when no unsolicited SCSI Data-Out PDUs follow this PDU."</summary>
    Final = 0x80,
}
