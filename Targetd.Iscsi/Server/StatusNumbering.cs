namespace Targetd.Iscsi.Server;

/// <summary>How StatSN is carried by a PDU being sent (RFC 7143 §4.2.2.2).</summary>
internal enum StatusNumbering
{
    /// <summary>A status-bearing PDU: takes the next StatSN.</summary>
    Advance,

    /// <summary>An R2T or a target-initiated NOP-In: carries the current StatSN without consuming it.</summary>
    Current,

    /// <summary>The StatSN field is reserved (Data-In without the S bit).</summary>
    Reserved,
}
