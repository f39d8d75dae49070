namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>The flag bits of a Text Request's or Text Response's byte 1 (RFC 7143 §11.10.1, §11.10.2, §11.11.1, §11.11.2).</summary>
[Flags]
internal enum TextFlags : byte
{
    None = 0,

    /// <summary>"C (Continue) bit": the text is incomplete and continues in the next PDU.</summary>
    Continue = 0x40,

    /// <summary>"F (Final) bit": the last PDU of the request or response sequence.</summary>
    Final = 0x80,
}
