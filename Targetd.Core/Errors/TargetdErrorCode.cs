namespace Targetd.Core.Errors;

/// <summary>
/// The error codes of the targetd API (targetd 0.10, utils.py <c>TargetdError</c>) and of JSON-RPC 2.0.
/// Clients match on these numbers, so they never change.
/// </summary>
public enum TargetdErrorCode
{
    /// <summary>Generic failure (INVALID).</summary>
    Invalid = -1,

    /// <summary>A volume or access group with that name exists (NAME_CONFLICT).</summary>
    NameConflict = -50,

    /// <summary>The clone's destination exists (EXISTS_CLONE_NAME).</summary>
    ExistsCloneName = -51,

    /// <summary>The initiator already belongs to an access group or ACL (EXISTS_INITIATOR).</summary>
    ExistsInitiator = -52,

    /// <summary>A file system or snapshot with that name exists (EXISTS_FS_NAME).</summary>
    ExistsFsName = -53,

    /// <summary>No such volume (NOT_FOUND_VOLUME).</summary>
    NotFoundVolume = -103,

    /// <summary>No such file system (NOT_FOUND_FS).</summary>
    NotFoundFs = -104,

    /// <summary>No such pool (INVALID_POOL).</summary>
    InvalidPool = -110,

    /// <summary>No such snapshot (NOT_FOUND_SS).</summary>
    NotFoundSnapshot = -112,

    /// <summary>No such export (NOT_FOUND_VOLUME_EXPORT).</summary>
    NotFoundVolumeExport = -151,

    /// <summary>The volume group is missing (NOT_FOUND_VOLUME_GROUP).</summary>
    NotFoundVolumeGroup = -152,

    /// <summary>Not supported (NO_SUPPORT).</summary>
    NoSupport = -153,

    /// <summary>No such access group (NOT_FOUND_ACCESS_GROUP).</summary>
    NotFoundAccessGroup = -200,

    /// <summary>An external command failed (UNEXPECTED_EXIT_CODE).</summary>
    UnexpectedExitCode = -303,

    /// <summary>The volume is exported and cannot be removed (VOLUME_MASKED; targetd gives it the same value as <see cref="UnexpectedExitCode"/>).</summary>
    VolumeMasked = UnexpectedExitCode,

    /// <summary>No such NFS export (NOT_FOUND_NFS_EXPORT).</summary>
    NotFoundNfsExport = -400,

    /// <summary>The NFS request is not supported (NFS_NO_SUPPORT).</summary>
    NfsNoSupport = -401,

    /// <summary>Every host LUN id is in use (NO_FREE_HOST_LUN_ID).</summary>
    NoFreeHostLunId = -1000,

    /// <summary>JSON-RPC: the request is not a valid request object.</summary>
    InvalidRequest = -32600,

    /// <summary>JSON-RPC: no such method.</summary>
    MethodNotFound = -32601,

    /// <summary>JSON-RPC: invalid method parameters; targetd also uses it for invalid arguments (INVALID_ARGUMENT).</summary>
    InvalidArgument = -32602,

    /// <summary>JSON-RPC: internal error.</summary>
    InternalError = -32603,

    /// <summary>JSON-RPC: the body is not valid JSON.</summary>
    ParseError = -32700,
}
