using System.Globalization;

namespace Targetd.Qcow2.Cli;

/// <summary>qemu-img style arguments: short flags with values, <c>--long=value</c>, and positionals.</summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);

    private CliArguments(List<string> positionals) => Positionals = positionals;

    public IReadOnlyList<string> Positionals { get; }

    /// <param name="args">The arguments after the command name.</param>
    /// <param name="withValue">Flags that take a value (e.g. "-f", "-o", "--output").</param>
    /// <param name="switches">Flags without a value (e.g. "-q", "-p", "-w").</param>
    public static CliArguments Parse(IReadOnlyList<string> args, IReadOnlySet<string> withValue, IReadOnlySet<string> switches)
    {
        var positionals = new List<string>();
        var parsed = new CliArguments(positionals);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2)
            {
                int eq = arg.IndexOf('=', StringComparison.Ordinal);
                string name = eq < 0 ? arg : arg[..eq];
                if (switches.Contains(name))
                {
                    parsed._options[name] = null;
                }
                else if (withValue.Contains(name))
                {
                    parsed._options[name] = eq >= 0 ? arg[(eq + 1)..] : (++i < args.Count ? args[i] : throw new CliException($"missing argument for option '{name}'"));
                }
                else
                {
                    throw new CliException($"unrecognized option '{arg}'");
                }
            }
            else if (arg.StartsWith('-') && arg.Length > 1)
            {
                if (switches.Contains(arg))
                {
                    parsed._options[arg] = null;
                }
                else if (withValue.Contains(arg))
                {
                    string value = ++i < args.Count ? args[i] : throw new CliException($"missing argument for option '{arg}'");
                    parsed._options[arg] = parsed._options.TryGetValue(arg, out var previous) && previous is not null && arg == "-o" ? previous + "," + value : value;
                }
                else
                {
                    throw new CliException($"unrecognized option '{arg}'");
                }
            }
            else
            {
                positionals.Add(arg);
            }
        }

        return parsed;
    }

    public bool Has(string name) => _options.ContainsKey(name);

    public string? Get(string name) => _options.GetValueOrDefault(name);

    public int GetInt(string name, int fallback) =>
        _options.TryGetValue(name, out var value) && value is not null
            ? int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 0 ? n : throw new CliException($"Invalid value for {name}: '{value}'")
            : fallback;

    /// <summary>Parses <c>-o key=value,key=value</c>.</summary>
    public Dictionary<string, string> GetOptions(string name = "-o")
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in (Get(name) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new CliException($"Invalid option '{pair}': expected key=value");
            }

            result[pair[..eq]] = pair[(eq + 1)..];
        }

        return result;
    }

    /// <summary>Sizes as qemu-img reads them: bytes, or a number with k, M, G, T, P or E (powers of 1024).</summary>
    public static long ParseSize(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            throw new CliException("Invalid size ''");
        }

        char suffix = char.ToUpperInvariant(text[^1]);
        int shift = suffix switch { 'B' => 0, 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, 'P' => 50, 'E' => 60, _ => -1 };
        string number = shift >= 0 ? text[..^1] : text;
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value < 0 || double.IsNaN(value))
        {
            throw new CliException($"Invalid size '{text}'");
        }

        double bytes = value * Math.Pow(2, Math.Max(shift, 0));
        return bytes >= long.MaxValue ? throw new CliException($"Size '{text}' is too large") : (long)bytes;
    }
}
