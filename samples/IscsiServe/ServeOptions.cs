using System.Globalization;

/// <summary>The command line of the sample: <c>--port N [--user NAME] [--secret SECRET] [--seconds N] [--iqn IQN] [--size-mib N]</c>.</summary>
internal sealed record ServeOptions(int Port, string User, string Secret, TimeSpan? Duration, string TargetName, long SizeBytes)
{
    public const string Usage =
        "usage: IscsiServe --port N (0 picks a free port) [--user NAME] [--secret SECRET (12+ characters)] [--seconds N] [--iqn IQN] [--size-mib N]";

    public static ServeOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            }

            values[args[i][2..]] = args[i + 1];
        }

        int port = Number(values, "port") is { } p and >= 0 and <= 65535 ? (int)p : throw new ArgumentException("--port is required (0 to 65535)");
        long? seconds = Number(values, "seconds");
        return new ServeOptions(
            port,
            values.GetValueOrDefault("user", "sample"),
            values.GetValueOrDefault("secret", "sample-secret-1"),
            seconds is { } s ? TimeSpan.FromSeconds(s) : null,
            values.GetValueOrDefault("iqn", "iqn.2024-01.net.targetd.samples:disk0"),
            (Number(values, "size-mib") ?? 64) << 20);
    }

    private static long? Number(Dictionary<string, string> values, string key) =>
        !values.TryGetValue(key, out string? text) ? null
        : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value
        : throw new ArgumentException($"--{key}: '{text}' is not a number");
}
