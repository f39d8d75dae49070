namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>The flag bits of a SCSI Data-In's byte 1 (RFC 7143 §11.7).</summary>
[Flags]
internal enum DataInFlags : byte
{
    None = 0,

    /// <summary>"S (status) bit": the PDU carries the command's status (§11.7.3).</summary>
    Status = 0x01,

    /// <summary>"U" bit: Residual Underflow, valid with the S bit (§11.7.3).</summary>
    ResidualUnderflow = 0x02,

    /// <summary>"O" bit: Residual Overflow, valid with the S bit (§11.7.3).</summary>
    ResidualOverflow = 0x04,

    /// <summary>"A (Acknowledge) bit": the target asks for a DataACK SNACK (§11.7.2).</summary>
    Acknowledge = 0x40,

    /// <summary>"F (Final) bit": the last PDU of a sequence (§11.7.1).</summary>
    Final = 0x80,
}
