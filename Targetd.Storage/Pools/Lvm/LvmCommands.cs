using System.Globalization;
using Targetd.Core.Processes;

namespace Targetd.Storage.Pools.Lvm;

/// <summary>
/// The lvm2 command lines the LVM pool runs (written against lvm2 2.03: JSON reports, <c>b</c> size units,
/// <c>--setactivationskip</c>). Every name reaches LVM as one argv element and every LV argument carries its
/// VG prefix, so no name is ever read as an option.
/// </summary>
internal static class LvmCommands
{
    /// <summary>The columns read from <c>vgs</c>.</summary>
    public const string VolumeGroupFields = "vg_name,vg_uuid,vg_size,vg_free";

    /// <summary>The columns read from <c>lvs</c>.</summary>
    public const string LogicalVolumeFields = "lv_name,lv_uuid,lv_size,lv_attr,pool_lv,data_percent,metadata_percent";

    /// <summary>LVM takes byte sizes only in whole 512-byte sectors ("Size is not a multiple of 512").</summary>
    public const int SectorSize = 512;

    /// <summary>Reports one VG: <c>vgs --reportformat json --units b --nosuffix -o … VG</c>.</summary>
    public static ProcessCommand ReportVolumeGroup(string vg) =>
        new("vgs", "--reportformat", "json", "--units", "b", "--nosuffix", "-o", VolumeGroupFields, vg);

    /// <summary>Reports the visible LVs of one VG: <c>lvs --reportformat json --units b --nosuffix -o … VG</c>.</summary>
    public static ProcessCommand ReportLogicalVolumes(string vg) =>
        new("lvs", "--reportformat", "json", "--units", "b", "--nosuffix", "-o", LogicalVolumeFields, vg);

    /// <summary>Creates a linear LV: <c>lvcreate --yes --type linear --name LV --size Nb VG</c>.</summary>
    public static ProcessCommand CreateLinear(string vg, string name, long size) =>
        new("lvcreate", "--yes", "--type", "linear", "--name", name, "--size", Size(size), vg);

    /// <summary>Creates a thin LV: <c>lvcreate --yes --type thin --name LV --virtualsize Nb --thinpool TP VG</c>.</summary>
    public static ProcessCommand CreateThin(string vg, string thinPool, string name, long size) =>
        new("lvcreate", "--yes", "--type", "thin", "--name", name, "--virtualsize", Size(size), "--thinpool", thinPool, vg);

    /// <summary>
    /// Creates a thin snapshot of a thin LV in the same pool, as targetd (libblockdev <c>thsnapshotcreate</c>):
    /// <c>lvcreate -s -n NEW --thinpool TP VG/ORIG</c>. LVM sets the activation-skip flag on new thin
    /// snapshots, which would leave the copy inactive (no <c>/dev/VG/NEW</c>) now and after every reboot, so the
    /// flag is cleared (<c>--setactivationskip n</c>) and the copy activated (<c>--activate y</c>) like any volume.
    /// </summary>
    public static ProcessCommand CreateThinSnapshot(string vg, string thinPool, string origin, string name) =>
        new("lvcreate", "--yes", "--snapshot", "--setactivationskip", "n", "--activate", "y", "--name", name, "--thinpool", thinPool, $"{vg}/{origin}");

    /// <summary>Removes an LV: <c>lvremove --yes VG/LV</c> (refused by LVM while the LV is open).</summary>
    public static ProcessCommand Remove(string vg, string name) => new("lvremove", "--yes", $"{vg}/{name}");

    /// <summary>
    /// Grows an LV: <c>lvextend --size Nb VG/LV</c>. <c>lvextend</c> rather than <c>lvresize</c>: it refuses to
    /// shrink, so a volume that grew behind our back is never cut down.
    /// </summary>
    public static ProcessCommand Extend(string vg, string name, long size) => new("lvextend", "--size", Size(size), $"{vg}/{name}");

    /// <summary>Activates an LV even when its activation-skip flag is set: <c>lvchange --activate y --ignoreactivationskip VG/LV</c>.</summary>
    public static ProcessCommand Activate(string vg, string name) =>
        new("lvchange", "--activate", "y", "--ignoreactivationskip", $"{vg}/{name}");

    /// <summary>A size argument in bytes, rounded up to whole sectors (LVM rounds it up to whole extents in turn).</summary>
    public static string Size(long size)
    {
        long sectors = (size / SectorSize) + (size % SectorSize == 0 ? 0 : 1);
        return (sectors * SectorSize).ToString(CultureInfo.InvariantCulture) + "b";
    }
}
