namespace Targetd.Iscsi.Server;

/// <summary>The answer to one Login Request: the Login Response's stages, status and keys.</summary>
internal sealed record LoginResult(
    bool Transit,
    int CurrentStage,
    int NextStage,
    LoginStatus Status,
    IReadOnlyList<KeyValuePair<string, string>> Keys)
{
    /// <summary>Whether this response ends the login phase and enters full feature phase.</summary>
    public bool IsFinal => Status == LoginStatus.Success && Transit && NextStage == LoginNegotiation.FullFeaturePhase;

    public static LoginResult Failure(LoginStatus status) => new(false, 0, 0, status, []);
}
