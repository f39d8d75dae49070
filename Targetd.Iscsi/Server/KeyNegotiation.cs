using System.Globalization;

namespace Targetd.Iscsi.Server;

/// <summary>
/// The negotiation rule of each operational key (RFC 7143 §13, §6.2): the answer to one key offered by the
/// initiator, applied to the session's parameters.
/// </summary>
internal static class KeyNegotiation
{
    public const string NotUnderstood = "NotUnderstood";
    public const string Irrelevant = "Irrelevant";
    public const string Reject = "Reject";

    /// <summary>
    /// Negotiates one key. Returns the value to answer with, or null for a declarative key that needs no answer.
    /// </summary>
    public static string? Negotiate(string key, string value, SessionParameters parameters)
    {
        switch (key)
        {
            // §13.1: "HeaderDigest=<list-of-values>", the responder selects the first value it supports.
            case "HeaderDigest":
                return Digest(value, v => parameters.HeaderDigest = v);
            case "DataDigest":
                return Digest(value, v => parameters.DataDigest = v);

            // §13.2: "MaxConnections ... Result function is Minimum."
            case "MaxConnections":
                return Minimum(value, 1, 65535, 1, v => parameters.MaxConnections = v);

            // §13.10: "InitialR2T ... Result function is OR."
            case "InitialR2T":
                return Boolean(value, initiator => parameters.InitialR2T = initiator);

            // §13.11: "ImmediateData ... Result function is AND."
            case "ImmediateData":
                return Boolean(value, initiator => parameters.ImmediateData = initiator);

            // §13.12: "MaxRecvDataSegmentLength ... Declarative."
            case "MaxRecvDataSegmentLength":
                if (!TryNumber(value, 512, 16777215, out int length))
                {
                    return Reject;
                }

                parameters.InitiatorMaxRecvDataSegmentLength = length;
                return null;

            // §13.13: "MaxBurstLength ... Result function is Minimum."
            case "MaxBurstLength":
                return Minimum(value, 512, 16777215, TargetLimits.MaxBurstLength, v => parameters.MaxBurstLength = v);

            // §13.14: "FirstBurstLength ... Result function is Minimum."
            case "FirstBurstLength":
                return Minimum(value, 512, 16777215, TargetLimits.FirstBurstLength, v => parameters.FirstBurstLength = v);

            // §13.15: "DefaultTime2Wait ... Result function is Maximum."
            case "DefaultTime2Wait":
                if (!TryNumber(value, 0, 3600, out int wait))
                {
                    return Reject;
                }

                parameters.DefaultTime2Wait = Math.Max(wait, TargetLimits.DefaultTime2Wait);
                return parameters.DefaultTime2Wait.ToString(CultureInfo.InvariantCulture);

            // §13.16: "DefaultTime2Retain ... Result function is Minimum."
            case "DefaultTime2Retain":
                return Minimum(value, 0, 3600, TargetLimits.DefaultTime2Retain, v => parameters.DefaultTime2Retain = v);

            // §13.17: "MaxOutstandingR2T ... Result function is Minimum."
            case "MaxOutstandingR2T":
                return Minimum(value, 1, 65535, TargetLimits.MaxOutstandingR2T, v => parameters.MaxOutstandingR2T = v);

            // §13.18, §13.19: "Result function is OR"; we want ordered data, so the answer is Yes.
            case "DataPDUInOrder":
                return Boolean(value, _ => parameters.DataPduInOrder = true, ours: true);
            case "DataSequenceInOrder":
                return Boolean(value, _ => parameters.DataSequenceInOrder = true, ours: true);

            // §13.20: "ErrorRecoveryLevel ... Result function is Minimum." We implement level 0.
            case "ErrorRecoveryLevel":
                return Minimum(value, 0, 2, 0, v => parameters.ErrorRecoveryLevel = v);

            // RFC 3720 markers, removed by RFC 7143 §13.23: answered as never used.
            case "IFMarker" or "OFMarker":
                return "No";
            case "IFMarkInt" or "OFMarkInt":
                return Irrelevant;

            default:
                return NotUnderstood;
        }
    }

    /// <summary>Whether a key is one <see cref="Negotiate"/> handles.</summary>
    public static bool IsOperational(string key) => key is "HeaderDigest" or "DataDigest" or "MaxConnections" or "InitialR2T"
        or "ImmediateData" or "MaxRecvDataSegmentLength" or "MaxBurstLength" or "FirstBurstLength" or "DefaultTime2Wait"
        or "DefaultTime2Retain" or "MaxOutstandingR2T" or "DataPDUInOrder" or "DataSequenceInOrder" or "ErrorRecoveryLevel"
        or "IFMarker" or "OFMarker" or "IFMarkInt" or "OFMarkInt";

    /// <summary>Ends negotiation: "FirstBurstLength MUST NOT exceed MaxBurstLength" (§13.14).</summary>
    public static void Complete(SessionParameters parameters)
    {
        parameters.FirstBurstLength = Math.Min(parameters.FirstBurstLength, parameters.MaxBurstLength);
    }

    private static string Digest(string value, Action<bool> apply)
    {
        foreach (var option in value.Split(','))
        {
            switch (option)
            {
                case "CRC32C":
                    apply(true);
                    return "CRC32C";
                case "None":
                    apply(false);
                    return "None";
            }
        }

        return Reject;
    }

    private static string Minimum(string value, int min, int max, int ours, Action<int> apply)
    {
        if (!TryNumber(value, min, max, out int offered))
        {
            return Reject;
        }

        int result = Math.Min(offered, ours);
        apply(result);
        return result.ToString(CultureInfo.InvariantCulture);
    }

    private static string Boolean(string value, Action<bool> apply, bool? ours = null)
    {
        bool offered;
        switch (value)
        {
            case "Yes":
                offered = true;
                break;
            case "No":
                offered = false;
                break;
            default:
                return Reject;
        }

        apply(offered);
        return (ours ?? offered) ? "Yes" : "No";
    }

    private static bool TryNumber(string value, int min, int max, out int number)
    {
        // §6.1: numeric values in decimal, or hexadecimal with a 0x prefix.
        bool parsed = value.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? int.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out number)
            : int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out number);
        return parsed && number >= min && number <= max;
    }
}
