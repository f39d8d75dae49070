using System.Security.Cryptography;
using System.Text;

namespace Targetd.Host.Http;

/// <summary>HTTP Basic credentials checked in constant time.</summary>
internal sealed class BasicCredentials(string user, string password)
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(user + ":" + password);

    /// <summary>Outcome of reading an Authorization header.</summary>
    public enum Check
    {
        Missing,
        Malformed,
        Wrong,
        Right,
    }

    public Check Verify(string? authorization)
    {
        if (string.IsNullOrEmpty(authorization))
        {
            return Check.Missing;
        }

        if (!authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return Check.Malformed;
        }

        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(authorization[6..].Trim());
        }
        catch (FormatException)
        {
            return Check.Malformed;
        }

        return CryptographicOperations.FixedTimeEquals(decoded, _expected) ? Check.Right : Check.Wrong;
    }
}
