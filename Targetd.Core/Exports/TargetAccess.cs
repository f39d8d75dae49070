namespace Targetd.Core.Exports;

/// <summary>
/// Who may log in to a new target: only the initiators listed (any initiator when the list is empty), each
/// presenting the CHAP credentials given (none when null).
/// </summary>
/// <param name="AllowedInitiators">The iSCSI names of the initiators admitted; empty admits any.</param>
/// <param name="Chap">The CHAP credentials every admitted initiator must present, or null for none.</param>
public sealed record TargetAccess(IReadOnlyList<string> AllowedInitiators, InitiatorCredentials? Chap)
{
    /// <summary>Any initiator, without authentication.</summary>
    public static TargetAccess Open { get; } = new([], null);

    /// <summary>Whether any initiator may log in without authentication.</summary>
    public bool IsOpen => AllowedInitiators.Count == 0 && Chap is null;
}
