using System.Globalization;
using System.Security.Cryptography;

namespace Targetd.Iscsi.Server;

/// <summary>The digest behind each <see cref="ChapAlgorithm"/>: its length, whether this platform has it, and the hash.</summary>
internal static class ChapDigest
{
    /// <summary>
    /// The algorithm the target answers with: the first of the initiator's CHAP_A list it supports, the initiator's
    /// list being in order of preference (RFC 7143 §6.2.1 list negotiation, §12.1.3); null when none is supported.
    /// </summary>
    public static ChapAlgorithm? Choose(string offered)
    {
        foreach (var value in offered.Split(','))
        {
            if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int code)
                && Enum.IsDefined((ChapAlgorithm)code) && IsSupported((ChapAlgorithm)code))
            {
                return (ChapAlgorithm)code;
            }
        }

        return null;
    }

    /// <summary>Whether this platform's cryptography offers the digest (SHA3-256 needs OpenSSL 1.1.1 or later).</summary>
    public static bool IsSupported(ChapAlgorithm algorithm) => algorithm != ChapAlgorithm.Sha3_256 || SHA3_256.IsSupported;

    /// <summary>The digest length in bytes; the target's challenge is as long (as LIO's is).</summary>
    public static int Length(ChapAlgorithm algorithm) => algorithm switch
    {
        ChapAlgorithm.Md5 => 16,
        ChapAlgorithm.Sha1 => 20,
        _ => 32,
    };

    public static byte[] Hash(ChapAlgorithm algorithm, ReadOnlySpan<byte> input) => algorithm switch
    {
#pragma warning disable CA5350, CA5351 // CHAP as iSCSI initiators speak it: MD5 is the mandatory algorithm, SHA-1 an offered one.
        ChapAlgorithm.Md5 => MD5.HashData(input),
        ChapAlgorithm.Sha1 => SHA1.HashData(input),
#pragma warning restore CA5350, CA5351
        ChapAlgorithm.Sha256 => SHA256.HashData(input),
        ChapAlgorithm.Sha3_256 => SHA3_256.HashData(input),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "not a CHAP algorithm"),
    };
}
