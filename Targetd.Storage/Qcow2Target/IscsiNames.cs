namespace Targetd.Storage.Qcow2Target;

/// <summary>iSCSI names (RFC 3720 §3.2.6): <c>iqn.</c>, <c>eui.</c> or <c>naa.</c> forms, at most 223 bytes.</summary>
internal static class IscsiNames
{
    public const int MaxLength = 223;

    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || name.Length < 5)
        {
            return false;
        }

        if (!name.StartsWith("iqn.", StringComparison.OrdinalIgnoreCase)
            && !name.StartsWith("eui.", StringComparison.OrdinalIgnoreCase)
            && !name.StartsWith("naa.", StringComparison.OrdinalIgnoreCase))
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

        return true;
    }
}
