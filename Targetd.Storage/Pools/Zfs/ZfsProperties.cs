using System.Globalization;

namespace Targetd.Storage.Pools.Zfs;

/// <summary>
/// The output of <c>zfs get -Hp</c>: per dataset (in the order listed), its properties' values. Lines are
/// <c>name TAB property TAB value TAB source</c>; a line with fewer fields is skipped, as targetd skips it.
/// </summary>
internal sealed class ZfsProperties
{
    private readonly Dictionary<string, Dictionary<string, string>> _byDataset;
    private readonly List<string> _order;

    private ZfsProperties(Dictionary<string, Dictionary<string, string>> byDataset, List<string> order)
    {
        _byDataset = byDataset;
        _order = order;
    }

    /// <summary>The datasets, in the order <c>zfs</c> listed them.</summary>
    public IReadOnlyList<string> Datasets => _order;

    /// <summary>Parses the standard output of <c>zfs get -H</c>.</summary>
    public static ZfsProperties Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var byDataset = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (string line in output.Split('\n'))
        {
            string[] fields = line.TrimEnd('\r').Split('\t');
            if (fields.Length < 3 || fields[0].Length == 0)
            {
                continue;
            }

            if (!byDataset.TryGetValue(fields[0], out var properties))
            {
                properties = new Dictionary<string, string>(StringComparer.Ordinal);
                byDataset[fields[0]] = properties;
                order.Add(fields[0]);
            }

            properties[fields[1]] = fields[2].Trim();
        }

        return new ZfsProperties(byDataset, order);
    }

    /// <summary>Whether <paramref name="dataset"/> was listed.</summary>
    public bool Contains(string dataset) => _byDataset.ContainsKey(dataset);

    /// <summary>A property's text, or null when the dataset or the property was not listed.</summary>
    public string? Text(string dataset, string property) =>
        _byDataset.TryGetValue(dataset, out var properties) && properties.TryGetValue(property, out string? value) ? value : null;

    /// <summary>A numeric property (<c>-p</c> prints exact bytes and seconds).</summary>
    /// <exception cref="InvalidDataException">The property is missing or not a number.</exception>
    public long Number(string dataset, string property) =>
        Text(dataset, property) is { } text && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw new InvalidDataException($"zfs get: {dataset} has no numeric {property}");

    /// <summary>A GUID property: an unsigned 64-bit number, kept as zfs prints it.</summary>
    /// <exception cref="InvalidDataException">The property is missing or not a number.</exception>
    public string Guid(string dataset) =>
        Text(dataset, "guid") is { } text && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _)
            ? text
            : throw new InvalidDataException($"zfs get: {dataset} has no guid");
}
