using System.Globalization;
using Targetd.Core.Processes;

namespace Targetd.Storage.Pools.FileSystems;

/// <summary>
/// The btrfs-progs command lines the btrfs pool runs (written against btrfs-progs 6.2). Every path is absolute
/// and one argv element, so no name is ever read as an option; every command is bounded in time.
/// </summary>
internal static class BtrfsCommands
{
    /// <summary>How long one btrfs command may run.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary><c>btrfs subvolume create PATH</c>.</summary>
    public static ProcessCommand CreateSubvolume(string path) => Bounded("subvolume", "create", path);

    /// <summary><c>btrfs subvolume delete PATH</c> (read-only snapshots included).</summary>
    public static ProcessCommand DeleteSubvolume(string path) => Bounded("subvolume", "delete", path);

    /// <summary><c>btrfs subvolume snapshot [-r] SOURCE DESTINATION</c>.</summary>
    public static ProcessCommand Snapshot(string source, string destination, bool readOnly) =>
        readOnly ? Bounded("subvolume", "snapshot", "-r", source, destination) : Bounded("subvolume", "snapshot", source, destination);

    /// <summary>The subvolumes directly below the subvolume holding PATH, with uuids: <c>btrfs subvolume list -o -u PATH</c>.</summary>
    public static ProcessCommand ListBelow(string path) => Bounded("subvolume", "list", "-o", "-u", path);

    /// <summary>The same restricted to snapshots, with creation times: <c>btrfs subvolume list -o -u -s PATH</c>.</summary>
    public static ProcessCommand ListSnapshotsBelow(string path) => Bounded("subvolume", "list", "-o", "-u", "-s", path);

    /// <summary>Succeeds only when quotas are enabled on the file system: <c>btrfs qgroup show PATH</c>.</summary>
    public static ProcessCommand ShowQgroups(string path) => Bounded("qgroup", "show", path);

    /// <summary>Limits the referenced bytes of a subvolume's qgroup: <c>btrfs qgroup limit BYTES PATH</c>.</summary>
    public static ProcessCommand LimitQgroup(long bytes, string path) =>
        Bounded("qgroup", "limit", bytes.ToString(CultureInfo.InvariantCulture), path);

    private static ProcessCommand Bounded(params string[] arguments) => new("btrfs", arguments) { Timeout = Timeout };
}
