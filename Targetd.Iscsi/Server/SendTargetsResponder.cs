using System.Globalization;
using System.Net;
using Targetd.Iscsi.Targets;

namespace Targetd.Iscsi.Server;

/// <summary>The discovery answer to SendTargets (RFC 7143 §12.3, Appendix C): which targets, at which portals.</summary>
internal static class SendTargetsResponder
{
    /// <summary>
    /// SendTargets (RFC 7143 §12.3, Appendix C): "All" lists every target the initiator may see (in a normal session,
    /// its own target); a name lists that target; an empty value the session's target.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>> Answer(IscsiTargetRegistry registry, LoginNegotiation login, EndPoint? local, string value)
    {
        var targets = registry.Targets.Where(t => t.IsVisibleTo(login.InitiatorName));
        if (!login.IsDiscovery)
        {
            targets = targets.Where(t => ReferenceEquals(t, login.Target));
        }

        if (value != "All" && value.Length > 0)
        {
            targets = targets.Where(t => string.Equals(t.Name, value, StringComparison.OrdinalIgnoreCase));
        }

        var addresses = PortalAddresses(registry, local);
        foreach (var target in targets)
        {
            yield return new("TargetName", target.Name);
            foreach (string address in addresses)
            {
                yield return new("TargetAddress", address);
            }
        }
    }

    /// <summary>
    /// The TargetAddress of every portal serving the registry, this connection's first (RFC 7143 §12.3: "a TargetAddress
    /// for each portal"); a portal bound to a wildcard address is given by the address this connection reached, when
    /// it is of the same family.
    /// </summary>
    private static List<string> PortalAddresses(IscsiTargetRegistry registry, EndPoint? local)
    {
        string tag = "," + TargetLimits.PortalGroupTag.ToString(CultureInfo.InvariantCulture);
        var addresses = new List<string> { FormatAddress(local) + tag };
        foreach (var portal in registry.Portals)
        {
            var advertised = portal.Address.Equals(IPAddress.Any) || portal.Address.Equals(IPAddress.IPv6Any)
                ? local is IPEndPoint reached && reached.AddressFamily == portal.AddressFamily ? new IPEndPoint(reached.Address, portal.Port) : null
                : portal;
            string? address = advertised is null ? null : FormatAddress(advertised) + tag;
            if (address is not null && !addresses.Contains(address))
            {
                addresses.Add(address);
            }
        }

        return addresses;
    }

    private static string FormatAddress(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint { Address.AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ip =>
            $"[{ip.Address}]:{ip.Port.ToString(CultureInfo.InvariantCulture)}",
        IPEndPoint ip => $"{ip.Address}:{ip.Port.ToString(CultureInfo.InvariantCulture)}",
        _ => string.Empty,
    };
}
