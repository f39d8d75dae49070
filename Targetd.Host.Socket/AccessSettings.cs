using System.Text;
using Targetd.Core.Exports;
using Targetd.Iscsi.Targets;

namespace Targetd.Host.Socket;

/// <summary>
/// Who may log in to the daemon's targets: the keys <c>allowed_initiators</c>, <c>chap_user</c>, <c>chap_password</c>,
/// <c>mutual_chap_user</c> and <c>mutual_chap_password</c>, applied to every target it creates or restores.
/// </summary>
internal sealed record AccessSettings
{
    /// <summary>The shortest CHAP secret taken: 12 bytes (96 bits), against guessing the secret from a recorded exchange.</summary>
    public const int MinSecretBytes = 12;

    /// <summary>The longest CHAP secret or name taken.</summary>
    public const int MaxChapBytes = 255;

    /// <summary>The configuration keys (and, with dashes, the flags) of these settings.</summary>
    public static readonly IReadOnlySet<string> Keys = new HashSet<string>(StringComparer.Ordinal)
    {
        "allowed_initiators", "chap_user", "chap_password", "mutual_chap_user", "mutual_chap_password",
    };

    /// <summary>The initiators admitted; empty admits any.</summary>
    public IReadOnlyList<string> AllowedInitiators { get; init; } = [];

    public string? ChapUser { get; init; }

    public string? ChapPassword { get; init; }

    public string? MutualChapUser { get; init; }

    public string? MutualChapPassword { get; init; }

    /// <summary>Whether any initiator may log in without authentication.</summary>
    public bool IsOpen => AllowedInitiators.Count == 0 && ChapUser is null && ChapPassword is null;

    /// <summary>Applies one key; an empty value clears it.</summary>
    /// <exception cref="ArgumentException">The value is malformed; the message names the key.</exception>
    public AccessSettings With(string key, string value) => key switch
    {
        "allowed_initiators" => this with { AllowedInitiators = ParseInitiators(value) },
        "chap_user" => this with { ChapUser = Name(key, value) },
        "chap_password" => this with { ChapPassword = Secret(key, value) },
        "mutual_chap_user" => this with { MutualChapUser = Name(key, value) },
        "mutual_chap_password" => this with { MutualChapPassword = Secret(key, value) },
        _ => throw new ArgumentException($"unknown config key '{key}'"),
    };

    /// <summary>The first inconsistency between the keys, naming one; null when there is none.</summary>
    public string? Problem()
    {
        if ((ChapUser is null) != (ChapPassword is null))
        {
            return ChapUser is null ? "chap_user: chap_password needs a chap_user" : "chap_password: chap_user needs a chap_password";
        }

        if ((MutualChapUser is null) != (MutualChapPassword is null))
        {
            return MutualChapUser is null ? "mutual_chap_user: mutual_chap_password needs a mutual_chap_user" : "mutual_chap_password: mutual_chap_user needs a mutual_chap_password";
        }

        if (MutualChapUser is not null && ChapUser is null)
        {
            return "mutual_chap_user: mutual CHAP needs one-way CHAP (chap_user and chap_password) too";
        }

        if (MutualChapPassword is not null && string.Equals(MutualChapPassword, ChapPassword, StringComparison.Ordinal))
        {
            // RFC 7143 §12.1.3: the secrets of the initiator and of the target must differ.
            return "mutual_chap_password: must differ from chap_password";
        }

        return null;
    }

    /// <summary>What the target port applies to every target; call only when <see cref="Problem"/> is null.</summary>
    public TargetAccess ToTargetAccess() => new(
        AllowedInitiators,
        ChapUser is null || ChapPassword is null ? null : new InitiatorCredentials(ChapUser, ChapPassword, MutualChapUser, MutualChapPassword));

    /// <summary>The summary line of <c>--check-config</c>, without the secrets.</summary>
    public string Describe()
    {
        string initiators = AllowedInitiators.Count == 0 ? "(any)" : string.Join(", ", AllowedInitiators);
        string chap = ChapUser is null ? "(none)"
            : MutualChapUser is null ? $"user {ChapUser}, one-way"
            : $"user {ChapUser}, mutual as {MutualChapUser}";
        return $"allowed_initiators: {initiators}\nchap: {chap}";
    }

    /// <summary>Never prints the secrets.</summary>
    public override string ToString() => Describe();

    private static List<string> ParseInitiators(string value)
    {
        var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (string name in names)
        {
            if (!IscsiName.IsValid(name))
            {
                throw new ArgumentException($"allowed_initiators: '{name}' is not an iSCSI name (iqn.YYYY-MM.domain[:id], eui. or naa.)");
            }
        }

        return [.. names.Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    private static string? Name(string key, string value)
    {
        if (value.Length == 0)
        {
            return null;
        }

        return Encoding.UTF8.GetByteCount(value) <= MaxChapBytes && !value.Any(char.IsControl)
            ? value
            : throw new ArgumentException($"{key}: at most {MaxChapBytes} bytes, without control characters");
    }

    private static string? Secret(string key, string value)
    {
        if (value.Length == 0)
        {
            return null;
        }

        int bytes = Encoding.UTF8.GetByteCount(value);
        return bytes is >= MinSecretBytes and <= MaxChapBytes && !value.Any(char.IsControl)
            ? value
            : throw new ArgumentException($"{key}: a CHAP secret has {MinSecretBytes} to {MaxChapBytes} bytes, without control characters (this one has {bytes})");
    }
}
