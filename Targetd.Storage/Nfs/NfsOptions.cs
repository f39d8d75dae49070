using System.Globalization;
using Targetd.Storage.Errors;

namespace Targetd.Storage.Nfs;

/// <summary>
/// Export options of exports(5): which flags and <c>key=value</c> options are taken, which contradict each other,
/// and the order targetd lists them in. A bad option is -32602 with a message naming it (targetd answers an unknown
/// flag with -32601, as if the method were missing).
/// </summary>
public static class NfsOptions
{
    /// <summary>targetd's flag table, in the order <c>nfs_export_list</c> reports flags (targetd-peer §7.7).</summary>
    public static readonly IReadOnlyList<string> ListedFlags =
    [
        "secure", "rw", "ro", "sync", "async", "no_wdelay", "nohide", "crossmnt", "no_subtree_check", "insecure_locks",
        "root_squash", "all_squash", "wdelay", "hide", "insecure", "no_root_squash", "no_all_squash",
    ];

    /// <summary>The <c>key=value</c> options targetd takes.</summary>
    public static readonly IReadOnlyList<string> Keys = ["mountpoint", "mp", "fsid", "refer", "replicas", "anonuid", "anongid", "sec"];

    /// <summary>The security flavours of <c>sec=</c> that <c>nfs_export_auth_list</c> reports.</summary>
    public static readonly IReadOnlyList<string> SecurityFlavours = ["sys", "krb5", "krb5i", "krb5p"];

    /// <summary>Further flags of exports(5) that nfs-utils' exportfs takes.</summary>
    private static readonly HashSet<string> OtherFlags = new(StringComparer.Ordinal)
    {
        "subtree_check", "secure_locks", "auth_nlm", "no_auth_nlm", "nocrossmnt", "mountpoint", "mp", "pnfs", "no_pnfs",
        "security_label", "acl", "no_acl", "nordirplus",
    };

    /// <summary>Options that cannot be given together, and targetd's wording for the first six.</summary>
    private static readonly (string A, string B)[] Contradictions =
    [
        ("ro", "rw"), ("insecure", "secure"), ("async", "sync"), ("hide", "nohide"), ("no_wdelay", "wdelay"), ("no_root_squash", "root_squash"),
        ("all_squash", "no_all_squash"), ("subtree_check", "no_subtree_check"), ("crossmnt", "nocrossmnt"), ("insecure_locks", "secure_locks"),
        ("insecure_locks", "auth_nlm"), ("no_auth_nlm", "secure_locks"), ("no_auth_nlm", "auth_nlm"), ("pnfs", "no_pnfs"), ("acl", "no_acl"),
    ];

    /// <summary>
    /// Checks the options of <c>nfs_export_add</c> and returns them without repeats, in the order given.
    /// </summary>
    /// <exception cref="StorageException">InvalidArgument for an unknown option, a bad value, a key given twice with
    /// different values, or two options that contradict each other.</exception>
    public static IReadOnlyList<string> Validate(IEnumerable<string> options)
    {
        var result = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string option in options)
        {
            int equals = option.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                if (!ListedFlags.Contains(option) && !OtherFlags.Contains(option))
                {
                    throw Invalid($"option {option} not valid");
                }
            }
            else
            {
                string key = option[..equals];
                string value = option[(equals + 1)..];
                if (!Keys.Contains(key))
                {
                    throw Invalid($"option {key} not valid");
                }

                CheckValue(key, value);
                if (values.TryGetValue(key, out string? earlier) && earlier != value)
                {
                    throw Invalid($"option {key} given twice ({earlier}, {value})");
                }

                values[key] = value;
            }

            if (!result.Contains(option))
            {
                result.Add(option);
            }
        }

        foreach (var (a, b) in Contradictions)
        {
            if (result.Contains(a) && result.Contains(b))
            {
                throw Invalid($"Both {a.ToUpperInvariant()} & {b.ToUpperInvariant()} set");
            }
        }

        return result;
    }

    /// <summary>Options in the order targetd lists them: its flags in table order, other flags, then <c>key=value</c> ones.</summary>
    public static IReadOnlyList<string> InListedOrder(IEnumerable<string> options)
    {
        var all = options.ToList();
        return
        [
            .. ListedFlags.Where(all.Contains),
            .. all.Where(o => !o.Contains('=', StringComparison.Ordinal) && !ListedFlags.Contains(o)),
            .. all.Where(o => o.Contains('=', StringComparison.Ordinal)),
        ];
    }

    private static void CheckValue(string key, string value)
    {
        bool valid = key switch
        {
            "anonuid" or "anongid" => int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            "fsid" => value == "root" || uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _)
                      || (value.Length is > 0 and <= 64 && value.All(c => char.IsAsciiHexDigit(c) || c == '-')),
            "sec" => value.Split(':').All(SecurityFlavours.Append("none").Contains),
            "mountpoint" or "mp" => value.StartsWith('/') && value.All(IsPathCharacter),
            _ => value.Length > 0 && value.All(c => IsPathCharacter(c) || c is '@' or '+' or ':'),
        };
        if (!valid)
        {
            throw Invalid($"option {key}={value} has a bad value");
        }
    }

    /// <summary>Characters accepted in exported paths and path-valued options.</summary>
    internal static bool IsPathCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '~' or '+';

    private static StorageException Invalid(string message) => StorageErrors.InvalidArgument(message);
}
