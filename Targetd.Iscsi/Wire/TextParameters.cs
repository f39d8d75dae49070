using System.Text;

namespace Targetd.Iscsi.Wire;

/// <summary>
/// Text keys (RFC 7143 §6.1): "key=value" pairs, each terminated by one NUL, in the data segment of Login
/// and Text PDUs. Parsing is bounded in pair count, key length and value length.
/// </summary>
internal static class TextParameters
{
    /// <summary>"A key name ... MUST NOT exceed 63 bytes" (RFC 7143 §6.1).</summary>
    public const int MaxKeyLength = 63;

    /// <summary>The longest value accepted: large binary values (CHAP_C, CHAP_R) stay far below it.</summary>
    public const int MaxValueLength = 8192;

    /// <summary>The most pairs accepted in one negotiation.</summary>
    public const int MaxPairs = 128;

    /// <summary>
    /// Parses NUL-terminated pairs. A trailing pair without its NUL is accepted; empty strings (padding) are skipped.
    /// Returns false for a malformed, oversized or repeated key.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out List<KeyValuePair<string, string>> pairs)
    {
        pairs = [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (!data.IsEmpty)
        {
            int end = data.IndexOf((byte)0);
            var item = end < 0 ? data : data[..end];
            data = end < 0 ? default : data[(end + 1)..];
            if (item.IsEmpty)
            {
                continue;
            }

            int equals = item.IndexOf((byte)'=');
            if (equals <= 0 || equals > MaxKeyLength || item.Length - equals - 1 > MaxValueLength || pairs.Count >= MaxPairs)
            {
                return false;
            }

            string key = Encoding.UTF8.GetString(item[..equals]);
            if (!IsValidKey(key) || !seen.Add(key))
            {
                return false;
            }

            pairs.Add(new(key, Encoding.UTF8.GetString(item[(equals + 1)..])));
        }

        return true;
    }

    /// <summary>Encodes pairs as "key=value\0" each.</summary>
    public static byte[] Encode(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var builder = new StringBuilder();
        foreach (var (key, value) in pairs)
        {
            builder.Append(key).Append('=').Append(value).Append('\0');
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    /// <summary>"key-name: A string of one or more characters consisting of letters, digits, dot, minus, plus, commercial at, and underscore" (§6.1).</summary>
    private static bool IsValidKey(string key)
    {
        foreach (char c in key)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '-' or '+' or '@' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
