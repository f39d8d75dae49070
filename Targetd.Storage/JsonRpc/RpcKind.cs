namespace Targetd.Storage.JsonRpc;

/// <summary>The JSON types parameters are checked against.</summary>
internal enum RpcKind
{
    /// <summary>A JSON string.</summary>
    Text,

    /// <summary>A JSON integer (sizes, LUN ids).</summary>
    WholeNumber,

    /// <summary>Any JSON value (targetd treats it by truthiness).</summary>
    Any,
}
