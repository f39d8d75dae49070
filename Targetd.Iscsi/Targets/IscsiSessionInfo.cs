using System.Net;

namespace Targetd.Iscsi.Targets;

/// <summary>A logged-in session, as the registry reports it.</summary>
/// <param name="InitiatorName">The initiator's iSCSI name.</param>
/// <param name="Isid">The initiator session ID, 12 hexadecimal digits.</param>
/// <param name="Tsih">The target session identifying handle.</param>
/// <param name="TargetName">The target of a normal session; null for a discovery session.</param>
/// <param name="Portal">The local address the initiator connected to.</param>
/// <param name="InitiatorAddress">The initiator's address.</param>
public sealed record IscsiSessionInfo(string InitiatorName, string Isid, ushort Tsih, string? TargetName, EndPoint? Portal, EndPoint? InitiatorAddress)
{
    /// <summary>Whether this is a discovery session.</summary>
    public bool IsDiscovery => TargetName is null;

    /// <summary>An ISID as <see cref="Isid"/> shows it: 12 lower-case hexadecimal digits.</summary>
    internal static string FormatIsid(ulong isid) => isid.ToString("x12", System.Globalization.CultureInfo.InvariantCulture);
}
