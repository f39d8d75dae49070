namespace Targetd.Core.Exports;

/// <summary>CHAP credentials of one initiator: the pair it must present, and optionally the pair the target answers with.</summary>
/// <param name="UserName">The initiator's CHAP name.</param>
/// <param name="Secret">The initiator's CHAP secret.</param>
/// <param name="MutualUserName">The target's CHAP name for mutual CHAP, or null.</param>
/// <param name="MutualSecret">The target's CHAP secret for mutual CHAP, or null.</param>
public sealed record InitiatorCredentials(string UserName, string Secret, string? MutualUserName = null, string? MutualSecret = null)
{
    /// <summary>Never prints the secrets.</summary>
    public override string ToString() => $"InitiatorCredentials {{ UserName = {UserName}, Mutual = {MutualSecret is not null} }}";
}
