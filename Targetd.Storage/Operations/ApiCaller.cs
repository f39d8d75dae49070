namespace Targetd.Storage.Operations;

/// <summary>Who made a call to one of the APIs, for its audit line and its log scope.</summary>
/// <param name="RequestId">An id of this one call, carried by every log line the call writes.</param>
/// <param name="Address">The caller's address (an IP address, or the peer of a UNIX socket).</param>
public sealed record ApiCaller(string RequestId, string Address)
{
    /// <summary>A caller with a fresh request id.</summary>
    public static ApiCaller From(string address) => new(NewRequestId(), address);

    /// <summary>16 hexadecimal digits, random.</summary>
    public static string NewRequestId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
}
