namespace Targetd.Tests.Iscsi;

/// <summary>One initiator as a logical unit sees it: the I_T nexus a command arrives on and the initiator port's name.</summary>
internal sealed record ReservationInitiator(ulong Nexus, string Port);
