namespace Targetd.Host.Http;

/// <summary>The mounts in <c>/proc/mounts</c>: device, mount point and file-system type, octal escapes (<c>\040</c>) decoded.</summary>
internal static class MountTable
{
    /// <summary>The mount at exactly <paramref name="mountPoint"/> (the last one wins, as the kernel shows it), or null.</summary>
    public static (string Device, string Type)? Find(string text, string mountPoint)
    {
        ArgumentNullException.ThrowIfNull(text);
        (string, string)? found = null;
        foreach (string line in text.Split('\n'))
        {
            string[] fields = line.Split(' ');
            if (fields.Length >= 3 && Decode(fields[1]) == mountPoint)
            {
                found = (Decode(fields[0]), fields[2]);
            }
        }

        return found;
    }

    /// <summary>The mount at <paramref name="mountPoint"/> on this machine.</summary>
    public static (string Device, string Type)? Find(string mountPoint) =>
        File.Exists("/proc/mounts") ? Find(File.ReadAllText("/proc/mounts"), mountPoint) : null;

    /// <summary>fstab's escapes: a backslash and three octal digits stand for one byte.</summary>
    private static string Decode(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var text = new System.Text.StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                text.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                text.Append(field[i]);
            }
        }

        return text.ToString();
    }

    private static bool IsOctal(string field, int start) =>
        start + 3 <= field.Length && field.AsSpan(start, 3).IndexOfAnyExceptInRange('0', '7') < 0;
}
