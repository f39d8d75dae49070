namespace Targetd.Core.Names;

/// <summary>
/// iSCSI names (RFC 7143 §4.2.7): "iqn.", "eui." or "naa." forms, at most 223 bytes, compared case-insensitively. The one
/// rule every part applies: the target to the names it serves and admits, and the storage APIs to the names they are
/// given, so a name is judged once and the same way everywhere (as LIO's rtslib judges it).
/// </summary>
public static class IscsiName
{
    /// <summary>"iSCSI names ... MUST NOT be larger than 223 bytes" (RFC 7143 §4.2.7.1).</summary>
    public const int MaxLength = 223;

    /// <summary>Whether <paramref name="name"/> is a well-formed iSCSI name.</summary>
    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '-' or ':'))
            {
                return false;
            }
        }

        if (name.StartsWith("iqn.", StringComparison.OrdinalIgnoreCase))
        {
            // iqn.yyyy-mm.reversed-domain[:unique]
            return name.Length > 12 && char.IsAsciiDigit(name[4]) && name[8] == '-' && name[11] == '.';
        }

        if (name.StartsWith("eui.", StringComparison.OrdinalIgnoreCase))
        {
            return name.Length == 20 && name.AsSpan(4).ContainsOnlyHex();
        }

        return name.StartsWith("naa.", StringComparison.OrdinalIgnoreCase)
            && name.Length is 20 or 36 && name.AsSpan(4).ContainsOnlyHex();
    }

    private static bool ContainsOnlyHex(this ReadOnlySpan<char> value)
    {
        foreach (char c in value)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
