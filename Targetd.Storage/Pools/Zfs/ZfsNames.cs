using System.Text.RegularExpressions;
using Targetd.Storage.Errors;

namespace Targetd.Storage.Pools.Zfs;

/// <summary>The names targetd accepts for ZFS volumes, file systems and snapshots, and for configured datasets.</summary>
public static partial class ZfsNames
{
    /// <summary>targetd's rule for the names it creates under a pool: <c>^[A-Za-z0-9][A-Za-z0-9_.-]*$</c>.</summary>
    public static bool IsValid(string? name) => name is { Length: > 0 and <= 255 } && AllowedName().IsMatch(name);

    /// <summary>The name, or targetd's -32602 refusal of it.</summary>
    public static string EnsureValid(string? name) =>
        IsValid(name)
            ? name!
            : throw new StorageException(
                StorageErrorKind.InvalidArgument,
                "Invalid dataset name, can only contain alphanumeric characters,underscores, dots and hyphens");

    /// <summary>
    /// Checks configured datasets as targetd does at start (targetd-peer §4): none is the parent of another and none has a
    /// colon. Whether each exists and is a file system is checked against <c>zfs</c> when the pools start.
    /// </summary>
    /// <exception cref="ArgumentException">A dataset breaks one of these rules.</exception>
    public static void CheckConfigured(IReadOnlyCollection<string> datasets)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        if (datasets.Any(d => d.Length == 0 || d.StartsWith('/') || d.EndsWith('/') || d.Contains("//", StringComparison.Ordinal) || d.Contains('@', StringComparison.Ordinal)))
        {
            throw new ArgumentException("ZFS pools must be dataset names such as tank/block");
        }

        if (datasets.Any(child => datasets.Any(parent => child.StartsWith(parent + "/", StringComparison.Ordinal))))
        {
            throw new ArgumentException("ZFS pools cannot contain both parent and child datasets");
        }

        if (datasets.Any(d => d.Contains(':', StringComparison.Ordinal)))
        {
            throw new ArgumentException("Colon in ZFS pools is not supported");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex AllowedName();
}
