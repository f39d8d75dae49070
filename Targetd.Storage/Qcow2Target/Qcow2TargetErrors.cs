namespace Targetd.Storage.Qcow2Target;

/// <summary>
/// The error texts of the qcow2target API. Those the original daemon sends are kept word for word, since
/// clients match on them (a Python client turns "target does not exist" into "create the target, then attach").
/// </summary>
internal static class Qcow2TargetErrors
{
    public const int MaxLuns = 256;

    public static Qcow2TargetException TargetDoesNotExist() => new("target does not exist");

    public static Qcow2TargetException TargetAlreadyExists() => new("target already exists");

    public static Qcow2TargetException LogicalUnitNotFound() => new("logical unit not found");

    public static Qcow2TargetException TooManyLuns() =>
        new($"can't have more than {MaxLuns} logical units allocated to a single target");

    public static Qcow2TargetException ActiveConnection() => new("target has active iscsi connection");

    public static Qcow2TargetException DeleteWithLuns() => new("can't remove target which has logical units attached");

    public static Qcow2TargetException DeleteWithConnections() => new("can't remove target which has active connections");

    public static Qcow2TargetException UnknownType(string? type) => new($"unknow request type {type}");

    public static Qcow2TargetException InvalidTargetName(string name) =>
        new($"invalid target name '{name}': expected an iSCSI name (iqn., eui. or naa.) of at most 223 characters");

    public static Qcow2TargetException DiskMissing(string path) => new($"open {path}: no such file or directory");

    public static Qcow2TargetException OutsideDisksRoot(string path, string root) =>
        new($"disk path '{path}' is outside the disks root '{root}'");

    public static Qcow2TargetException NotADiskImage(string path, string reason) => new($"'{path}' is not a disk image: {reason}");

    public static Qcow2TargetException BeingAttached(string path) => new($"disk '{path}' is being attached by another request");

    public static Qcow2TargetException AlreadyAttached(string path, string target, int lun) =>
        new($"disk '{path}' is already attached to target {target} as LUN {lun}");
}
