using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Targetd.Storage.Operations;

/// <summary>Arguments as an audit line shows them: every value of a key that names a password or secret is masked.</summary>
internal static class SecretMask
{
    public const string Masked = "***";

    public static bool IsSecret(string key) =>
        key.Contains("pass", StringComparison.OrdinalIgnoreCase) || key.Contains("secret", StringComparison.OrdinalIgnoreCase);

    /// <summary>The arguments as compact JSON, secrets masked; a copy, the call's own arguments are untouched.</summary>
    public static string Apply(JToken? arguments)
    {
        if (arguments is null)
        {
            return "{}";
        }

        var copy = arguments.DeepClone();
        Mask(copy);
        return copy.ToString(Formatting.None);
    }

    private static void Mask(JToken token)
    {
        switch (token)
        {
            case JObject map:
                foreach (var property in map.Properties())
                {
                    if (IsSecret(property.Name) && property.Value.Type != JTokenType.Null)
                    {
                        property.Value = Masked;
                    }
                    else
                    {
                        Mask(property.Value);
                    }
                }

                break;
            case JArray list:
                foreach (var item in list)
                {
                    Mask(item);
                }

                break;
        }
    }
}
