using System.Security.Cryptography;
using System.Text;
using Targetd.Iscsi.Targets;

namespace Targetd.Iscsi.Server;

/// <summary>
/// The target side of CHAP (RFC 7143 §12.1.3, RFC 1994) with MD5, SHA-1, SHA-256 or SHA3-256, whichever the initiator
/// lists first: one-way, or mutual when the credentials carry the target's secret.
/// </summary>
internal sealed class ChapAuthenticator
{
    private const int MaxInitiatorChallengeLength = 1024;

    private readonly ChapCredentials _credentials;
    private ChapAlgorithm _algorithm;
    private byte _identifier;
    private byte[] _challenge = [];
    private State _state = State.AwaitingAlgorithm;

    public ChapAuthenticator(ChapCredentials credentials) => _credentials = credentials;

    private enum State
    {
        AwaitingAlgorithm,
        AwaitingResponse,
        Done,
        Failed,
    }

    /// <summary>Whether the initiator has proved its identity (and, in mutual CHAP, been answered).</summary>
    public bool IsAuthenticated => _state == State.Done;

    /// <summary>
    /// Consumes the CHAP keys of one Login Request and returns the keys to answer with, or null when
    /// authentication failed (the login ends with status 0201h).
    /// </summary>
    public List<KeyValuePair<string, string>>? Process(IReadOnlyDictionary<string, string> keys)
    {
        var answer = new List<KeyValuePair<string, string>>();
        switch (_state)
        {
            case State.AwaitingAlgorithm:
                if (!keys.TryGetValue("CHAP_A", out var algorithms))
                {
                    // AuthMethod was just agreed; the algorithm list comes in the next PDU.
                    return answer;
                }

                if (ChapDigest.Choose(algorithms) is not { } algorithm)
                {
                    return Fail();
                }

                _algorithm = algorithm;
                _identifier = RandomNumberGenerator.GetBytes(1)[0];
                _challenge = RandomNumberGenerator.GetBytes(ChapDigest.Length(algorithm));
                answer.Add(new("CHAP_A", ((int)algorithm).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                answer.Add(new("CHAP_I", _identifier.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                answer.Add(new("CHAP_C", "0x" + Convert.ToHexStringLower(_challenge)));
                _state = State.AwaitingResponse;
                return answer;

            case State.AwaitingResponse:
                return Verify(keys, answer);

            default:
                return _state == State.Done ? answer : null;
        }
    }

    /// <summary>The CHAP response: the digest of the identifier, the secret and the challenge (RFC 1994 §4.1).</summary>
    internal static byte[] ComputeResponse(ChapAlgorithm algorithm, byte identifier, string secret, ReadOnlySpan<byte> challenge)
    {
        byte[] secretBytes = Encoding.UTF8.GetBytes(secret);
        var input = new byte[1 + secretBytes.Length + challenge.Length];
        input[0] = identifier;
        secretBytes.CopyTo(input, 1);
        challenge.CopyTo(input.AsSpan(1 + secretBytes.Length));
        return ChapDigest.Hash(algorithm, input);
    }

    /// <summary>Decodes a CHAP binary value: "0x" hexadecimal or "0b" base64 (RFC 7143 §6.1).</summary>
    internal static byte[]? DecodeBinary(string value)
    {
        try
        {
            if (value.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            {
                var hex = value.AsSpan(2);
                return hex.Length % 2 == 0 ? Convert.FromHexString(hex) : Convert.FromHexString("0" + hex.ToString());
            }

            if (value.StartsWith("0b", StringComparison.OrdinalIgnoreCase))
            {
                return Convert.FromBase64String(value[2..]);
            }
        }
        catch (FormatException)
        {
            return null;
        }

        return null;
    }

    private List<KeyValuePair<string, string>>? Verify(IReadOnlyDictionary<string, string> keys, List<KeyValuePair<string, string>> answer)
    {
        if (!keys.TryGetValue("CHAP_N", out var name) || !keys.TryGetValue("CHAP_R", out var responseText))
        {
            return Fail();
        }

        var response = DecodeBinary(responseText);
        var expected = ComputeResponse(_algorithm, _identifier, _credentials.Secret, _challenge);
        if (name != _credentials.UserName || response is null || !CryptographicOperations.FixedTimeEquals(response, expected))
        {
            return Fail();
        }

        bool initiatorWantsMutual = keys.ContainsKey("CHAP_I") || keys.ContainsKey("CHAP_C");
        if (_credentials.IsMutual != initiatorWantsMutual)
        {
            // Mutual CHAP is configured and not asked for, or asked for and not configured.
            return Fail();
        }

        if (initiatorWantsMutual)
        {
            if (!keys.TryGetValue("CHAP_I", out var idText) || !byte.TryParse(idText, out byte id)
                || !keys.TryGetValue("CHAP_C", out var challengeText) || DecodeBinary(challengeText) is not { } challenge
                || challenge.Length == 0 || challenge.Length > MaxInitiatorChallengeLength)
            {
                return Fail();
            }

            // §12.1.3: "the target ... MUST NOT continue if the challenge it receives equals the one it sent".
            if (challenge.AsSpan().SequenceEqual(_challenge))
            {
                return Fail();
            }

            answer.Add(new("CHAP_N", _credentials.MutualUserName!));
            answer.Add(new("CHAP_R", "0x" + Convert.ToHexStringLower(ComputeResponse(_algorithm, id, _credentials.MutualSecret!, challenge))));
        }

        _state = State.Done;
        return answer;
    }

    private List<KeyValuePair<string, string>>? Fail()
    {
        _state = State.Failed;
        return null;
    }
}
