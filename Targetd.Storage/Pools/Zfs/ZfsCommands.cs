using System.Globalization;
using Targetd.Core.Processes;

namespace Targetd.Storage.Pools.Zfs;

/// <summary>
/// The <c>zfs</c> command lines the ZFS pools run, the same ones targetd's ZFS backend runs (targetd-peer §7.1, §7.2,
/// §7.6; written against OpenZFS 2.1). Every dataset reaches <c>zfs</c> as one argv element after its options, and
/// every name in it has passed <see cref="ZfsNames"/>, so none is read as an option.
/// </summary>
internal static class ZfsCommands
{
    /// <summary>The program; the process runner finds it on PATH (Debian's <c>zfsutils-linux</c>: <c>/sbin/zfs</c>).</summary>
    public const string Program = "zfs";

    /// <summary>
    /// targetd's <c>_zfs_get</c>: <c>zfs get -Hp[r] -t TYPE PROPERTIES DATASET…</c>, one
    /// <c>name TAB property TAB value TAB source</c> line per dataset and property, sizes in bytes.
    /// </summary>
    public static ProcessCommand Get(string type, string properties, bool recursive, params IReadOnlyList<string> datasets) =>
        new(Program, ["get", recursive ? "-Hpr" : "-Hp", "-t", type, properties, .. datasets]);

    /// <summary>A zvol: <c>zfs create -V SIZE DATASET</c>.</summary>
    public static ProcessCommand CreateVolume(string dataset, long size) =>
        new(Program, "create", "-V", Number(size), dataset);

    /// <summary>A file system: <c>zfs create DATASET</c>.</summary>
    public static ProcessCommand CreateFileSystem(string dataset) => new(Program, "create", dataset);

    /// <summary>Limits a file system and its snapshots and children: <c>zfs set quota=N DATASET</c>.</summary>
    public static ProcessCommand SetQuota(string dataset, long quota) => new(Program, "set", "quota=" + Number(quota), dataset);

    /// <summary>
    /// A dataset with its snapshots and children, or a snapshot (not their clones): <c>zfs destroy -r DATASET</c>.
    /// </summary>
    public static ProcessCommand DestroyRecursive(string dataset) => new(Program, "destroy", "-r", dataset);

    /// <summary><c>zfs snapshot DATASET@SNAPSHOT</c>.</summary>
    public static ProcessCommand Snapshot(string snapshot) => new(Program, "snapshot", snapshot);

    /// <summary>A writable clone of a snapshot, a zvol grown to <paramref name="volumeSize"/> when given: <c>zfs clone [-o volsize=N] SNAPSHOT DATASET</c>.</summary>
    public static ProcessCommand Clone(string snapshot, string dataset, long? volumeSize) =>
        volumeSize is { } size
            ? new(Program, "clone", "-o", "volsize=" + Number(size), snapshot, dataset)
            : new(Program, "clone", snapshot, dataset);

    /// <summary>Grows a zvol: <c>zfs set volsize=N DATASET</c>.</summary>
    public static ProcessCommand SetVolumeSize(string dataset, long size) => new(Program, "set", "volsize=" + Number(size), dataset);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
