namespace Targetd.Iscsi.Targets;

/// <summary>
/// CHAP credentials (RFC 7143 §12.1.3). The initiator proves <see cref="UserName"/>/<see cref="Secret"/>; when
/// <see cref="MutualUserName"/> and <see cref="MutualSecret"/> are set the target must prove them in turn.
/// </summary>
public sealed record ChapCredentials
{
    /// <summary>Creates one-way credentials, or mutual ones when both mutual values are given.</summary>
    /// <param name="userName">The name the initiator sends as CHAP_N.</param>
    /// <param name="secret">The initiator's secret: at least 12 bytes as RFC 7143 §12.1.3 recommends is not enforced, but it may not be empty.</param>
    /// <param name="mutualUserName">The name the target answers with in mutual CHAP.</param>
    /// <param name="mutualSecret">The target's secret in mutual CHAP; it must differ from <paramref name="secret"/>.</param>
    public ChapCredentials(string userName, string secret, string? mutualUserName = null, string? mutualSecret = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(userName);
        ArgumentException.ThrowIfNullOrEmpty(secret);
        if ((mutualUserName is null) != (mutualSecret is null))
        {
            throw new ArgumentException("Mutual CHAP needs both a user name and a secret.", nameof(mutualSecret));
        }

        if (mutualSecret is not null && (mutualSecret.Length == 0 || mutualSecret == secret))
        {
            // RFC 7143 §12.1.3: "the secret used for the initiator and the target MUST be different".
            throw new ArgumentException("The mutual secret must be non-empty and differ from the initiator's secret.", nameof(mutualSecret));
        }

        UserName = userName;
        Secret = secret;
        MutualUserName = mutualUserName;
        MutualSecret = mutualSecret;
    }

    /// <summary>The initiator's CHAP name.</summary>
    public string UserName { get; }

    /// <summary>The initiator's CHAP secret.</summary>
    public string Secret { get; }

    /// <summary>The target's CHAP name for mutual authentication, or null for one-way CHAP.</summary>
    public string? MutualUserName { get; }

    /// <summary>The target's CHAP secret for mutual authentication, or null for one-way CHAP.</summary>
    public string? MutualSecret { get; }

    /// <summary>Whether the target authenticates itself too.</summary>
    public bool IsMutual => MutualSecret is not null;

    /// <summary>Never prints the secrets.</summary>
    public override string ToString() => $"ChapCredentials {{ UserName = {UserName}, IsMutual = {IsMutual} }}";
}
