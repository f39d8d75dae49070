namespace Targetd.Iscsi.Wire;

/// <summary>
/// 32-bit serial number arithmetic (RFC 1982, SERIAL_BITS = 32), used for CmdSN, StatSN, DataSN and R2TSN:
/// "all sequence numbers and the comparisons between them are done using serial number arithmetic" (RFC 7143 §4.2.2.1).
/// </summary>
internal static class SerialNumber
{
    private const uint Half = 1u << 31;

    /// <summary>s1 &lt; s2 as RFC 1982 §3.2 defines it; undefined pairs (exactly 2^31 apart) compare false.</summary>
    public static bool LessThan(uint s1, uint s2) =>
        (s1 < s2 && s2 - s1 < Half) || (s1 > s2 && s1 - s2 > Half);

    /// <summary>s1 &gt; s2 as RFC 1982 §3.2 defines it.</summary>
    public static bool GreaterThan(uint s1, uint s2) => LessThan(s2, s1);

    /// <summary>Whether <paramref name="value"/> lies in the closed window [first, last], both compared serially.</summary>
    public static bool InWindow(uint value, uint first, uint last) =>
        !LessThan(value, first) && !GreaterThan(value, last);

    /// <summary>The larger of two serial numbers.</summary>
    public static uint Max(uint s1, uint s2) => GreaterThan(s2, s1) ? s2 : s1;
}
