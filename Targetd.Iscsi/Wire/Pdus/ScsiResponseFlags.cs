namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>The residual bits of a SCSI Response's byte 1 (RFC 7143 §11.4.1); bit 0 is always 1.</summary>
[Flags]
internal enum ScsiResponseFlags : byte
{
    None = 0,

    /// <summary>"(U) set for Residual Underflow."</summary>
    ResidualUnderflow = 0x02,

    /// <summary>"(O) set for Residual Overflow."</summary>
    ResidualOverflow = 0x04,

    /// <summary>"(u) set for Bidirectional Read Residual Underflow."</summary>
    BidirectionalReadResidualUnderflow = 0x08,

    /// <summary>"(o) set for Bidirectional Read Residual Overflow."</summary>
    BidirectionalReadResidualOverflow = 0x10,
}
