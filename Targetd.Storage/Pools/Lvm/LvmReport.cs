using System.Globalization;
using System.Text.Json;
using Targetd.Storage.Errors;
using Targetd.Core.Processes;

namespace Targetd.Storage.Pools.Lvm;

/// <summary>
/// Parses the JSON reports of <c>vgs</c> and <c>lvs</c> as lvm2 2.03 prints them with
/// <c>--reportformat json --units b --nosuffix</c>:
/// <c>{"report": [ {"lv": [ {"lv_name":"lv1", "lv_size":"4194304", ...} ] } ] }</c>. Every value is a
/// JSON string (sizes in bytes without a suffix, percents such as <c>"12.34"</c>, and <c>""</c> for a
/// field that does not apply); the <c>json_std</c> format's numbers and nulls are accepted as well.
/// </summary>
internal static class LvmReport
{
    /// <summary>Parses the <c>vg</c> rows of a <c>vgs</c> report.</summary>
    /// <exception cref="StorageException">The output is not such a report.</exception>
    public static IReadOnlyList<LvmVolumeGroup> ParseVolumeGroups(ProcessCommand command, string output) =>
        ParseRows(command, output, "vg", row => new LvmVolumeGroup(
            Text(row, "vg_name"),
            Text(row, "vg_uuid"),
            Bytes(row, "vg_size"),
            Bytes(row, "vg_free")));

    /// <summary>Parses the <c>lv</c> rows of an <c>lvs</c> report.</summary>
    /// <exception cref="StorageException">The output is not such a report.</exception>
    public static IReadOnlyList<LvmLogicalVolume> ParseLogicalVolumes(ProcessCommand command, string output) =>
        ParseRows(command, output, "lv", row => new LvmLogicalVolume(
            Text(row, "lv_name"),
            Text(row, "lv_uuid"),
            Bytes(row, "lv_size"),
            Text(row, "lv_attr"),
            OptionalText(row, "pool_lv"),
            Percent(row, "data_percent"),
            Percent(row, "metadata_percent")));

    private static List<T> ParseRows<T>(ProcessCommand command, string output, string kind, Func<JsonElement, T> parse)
    {
        try
        {
            using var document = JsonDocument.Parse(output);
            var rows = new List<T>();
            foreach (var report in document.RootElement.GetProperty("report").EnumerateArray())
            {
                if (report.TryGetProperty(kind, out var items))
                {
                    foreach (var item in items.EnumerateArray())
                    {
                        rows.Add(parse(item));
                    }
                }
            }

            return rows;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new StorageException(StorageErrorKind.Failed, $"Unexpected output of \"{command}\": {ex.Message}", ex);
        }
    }

    private static string Text(JsonElement row, string field) =>
        OptionalText(row, field) is { Length: > 0 } value ? value : throw new FormatException($"The field {field} is missing or empty.");

    private static string OptionalText(JsonElement row, string field)
    {
        if (!row.TryGetProperty(field, out var value))
        {
            return string.Empty;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString() ?? string.Empty,
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.Null => string.Empty,
            _ => throw new FormatException($"The field {field} is not a string."),
        };
    }

    private static long Bytes(JsonElement row, string field) =>
        long.Parse(Text(row, field), NumberStyles.None, CultureInfo.InvariantCulture);

    private static decimal? Percent(JsonElement row, string field) =>
        OptionalText(row, field) is { Length: > 0 } value
            ? decimal.Parse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture)
            : null;
}
