namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>The flag bits of a Login Request's or Login Response's byte 1 (RFC 7143 §11.12.1, §11.12.2, §11.13.1, §11.13.2).</summary>
[Flags]
internal enum LoginFlags : byte
{
    None = 0,

    /// <summary>"C (Continue) bit": the text is incomplete and continues in the next PDU.</summary>
    Continue = 0x40,

    /// <summary>"T (Transit) bit": the sender is ready to move to the next stage (NSG).</summary>
    Transit = 0x80,
}
