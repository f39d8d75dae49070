namespace Targetd.Iscsi.Targets;

/// <summary>One initiator admitted to a target, with the CHAP credentials it must present (none when null).</summary>
/// <param name="InitiatorName">The initiator's iSCSI name.</param>
/// <param name="Chap">The credentials required of this initiator, or null to admit it without authentication.</param>
public sealed record IscsiInitiatorAcl(string InitiatorName, ChapCredentials? Chap);
