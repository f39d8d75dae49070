using System.Globalization;

namespace Targetd.Core.Errors;

/// <summary>
/// The domain errors of the targetd API with the messages targetd itself sends; some clients show them to
/// users or match on them.
/// </summary>
public static class TargetdErrors
{
    /// <summary>vol_create / vol_copy: the name is taken.</summary>
    public static TargetdException VolumeNameExists() =>
        new(TargetdErrorCode.NameConflict, "Volume with that name exists");

    /// <summary>A volume is missing from its pool.</summary>
    public static TargetdException VolumeNotFound(string volume, string pool) =>
        new(TargetdErrorCode.NotFoundVolume, $"Volume {volume} not found in pool {pool}");

    /// <summary>An unknown pool.</summary>
    public static TargetdException InvalidPool(string pool) =>
        new(TargetdErrorCode.InvalidPool, $"Invalid pool ({pool})");

    /// <summary>vol_destroy of an exported volume.</summary>
    public static TargetdException VolumeExported(string volume) =>
        new(TargetdErrorCode.VolumeMasked, $"Volume '{volume}' cannot be removed while exported");

    /// <summary>export_destroy of a mapping that does not exist.</summary>
    public static TargetdException ExportNotFound(string volume, string initiator) =>
        new(TargetdErrorCode.NotFoundVolumeExport, $"Volume '{volume}' not found in {initiator} exports");

    /// <summary>vol_copy / vol_resize to a size that is not larger.</summary>
    public static TargetdException SizeNotLarger(long size, string volume, string pool) =>
        new(TargetdErrorCode.InvalidArgument, string.Create(CultureInfo.InvariantCulture, $"Size {size} need a larger than size in original volume {volume} in pool {pool}"));

    /// <summary>An unknown file system uuid.</summary>
    public static TargetdException FileSystemNotFound() => new(TargetdErrorCode.NotFoundFs, "fs_uuid not found");

    /// <summary>An unknown snapshot uuid.</summary>
    public static TargetdException SnapshotNotFound() => new(TargetdErrorCode.NotFoundSnapshot, "snapshot not found");

    /// <summary>An unknown access group.</summary>
    public static TargetdException AccessGroupNotFound() => new(TargetdErrorCode.NotFoundAccessGroup, "Access group not found");

    /// <summary>access_group_map_create found no free host LUN id.</summary>
    public static TargetdException NoFreeHostLunId(int highestLunId) =>
        new(TargetdErrorCode.NoFreeHostLunId, string.Create(CultureInfo.InvariantCulture, $"All host LUN ID 0 ~ {highestLunId} is in use"));

    /// <summary>access_group_create with a taken name.</summary>
    public static TargetdException AccessGroupNameInUse() =>
        new(TargetdErrorCode.NameConflict, "Requested access group name is in use");

    /// <summary>An initiator that already has an ACL.</summary>
    public static TargetdException InitiatorInUse() => new(TargetdErrorCode.ExistsInitiator, "Requested init_id is in use");

    /// <summary>An initiator that belongs to another access group.</summary>
    public static TargetdException InitiatorInOtherGroup() =>
        new(TargetdErrorCode.ExistsInitiator, "Requested init_id is used by other access group");

    /// <summary>An initiator type other than iSCSI.</summary>
    public static TargetdException OnlyIscsi() => new(TargetdErrorCode.NoSupport, "Only support iscsi");

    /// <summary>A name outside <c>[a-zA-Z0-9_-]+</c>.</summary>
    public static TargetdException IllegalName() =>
        new(TargetdErrorCode.InvalidArgument, Names.ResourceName.IllegalNameMessage);

    /// <summary>nfs_export_remove of an export that does not exist.</summary>
    public static TargetdException NfsExportNotFound(string host, string path) =>
        new(TargetdErrorCode.NotFoundNfsExport, $"NFS export to remove not found {host}:{path}");

    /// <summary>nfs_export_add with a separate export path.</summary>
    public static TargetdException NfsExportPathNotSupported() =>
        new(TargetdErrorCode.NfsNoSupport, "separate export path not supported at this time");

}
