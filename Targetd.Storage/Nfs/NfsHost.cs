using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Targetd.Storage.Errors;

namespace Targetd.Storage.Nfs;

/// <summary>
/// Client specifications of exports(5): <c>*</c>, a host name (wildcards <c>*</c> and <c>?</c> allowed), an IPv4 or
/// IPv6 address or network (<c>/prefix</c>, or a dotted mask for IPv4), or a netgroup <c>@group</c>.
/// </summary>
public static class NfsHost
{
    /// <summary>Returns the host in the form exports(5) and <c>exportfs -v</c> write (IPv6 without brackets).</summary>
    /// <exception cref="StorageException">InvalidArgument when it is none of the forms above.</exception>
    public static string Validate(string host)
    {
        string plain = host.Length > 2 && host[0] == '[' && host.Contains(']', StringComparison.Ordinal)
            ? host[1..host.IndexOf(']', StringComparison.Ordinal)] + host[(host.IndexOf(']', StringComparison.Ordinal) + 1)..]
            : host;
        if (plain == "*" || IsNetgroup(plain) || IsNetwork(plain) || IsHostName(plain))
        {
            return plain;
        }

        throw StorageErrors.InvalidArgument($"host '{host}' is not a client of exports(5) (name, address, network or @netgroup)");
    }

    /// <summary>The form <c>exportfs HOST:PATH</c> takes: IPv6 addresses in brackets.</summary>
    public static string CommandLineForm(string host)
    {
        if (!host.Contains(':', StringComparison.Ordinal) || host.StartsWith('['))
        {
            return host;
        }

        int slash = host.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? $"[{host}]" : $"[{host[..slash]}]{host[slash..]}";
    }

    private static bool IsNetgroup(string host) =>
        host.Length > 1 && host[0] == '@' && host[1..].All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    private static bool IsNetwork(string host)
    {
        int slash = host.IndexOf('/', StringComparison.Ordinal);
        string address = slash < 0 ? host : host[..slash];
        if (!address.All(c => char.IsAsciiHexDigit(c) || c is '.' or ':') || !IPAddress.TryParse(address, out var ip))
        {
            return false;
        }

        if (ip.AddressFamily == AddressFamily.InterNetwork && address.Count(c => c == '.') != 3)
        {
            return false;
        }

        if (slash < 0)
        {
            return true;
        }

        string mask = host[(slash + 1)..];
        int bits = ip.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (int.TryParse(mask, NumberStyles.None, CultureInfo.InvariantCulture, out int prefix))
        {
            return prefix <= bits;
        }

        return ip.AddressFamily == AddressFamily.InterNetwork && mask.Count(c => c == '.') == 3 && IPAddress.TryParse(mask, out _);
    }

    private static bool IsHostName(string host) =>
        host.Length <= 253 && host.Split('.').All(label => label.Length is > 0 and <= 63 && label[0] != '-'
            && label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '*' or '?'));
}
