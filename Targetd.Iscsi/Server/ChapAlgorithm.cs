namespace Targetd.Iscsi.Server;

/// <summary>
/// The CHAP digests an iSCSI login may name in CHAP_A (RFC 7143 §12.1.3), by their numbers in the IANA PPP
/// Authentication Algorithms registry.
/// </summary>
internal enum ChapAlgorithm
{
    /// <summary>MD5 (RFC 1994): the one RFC 7143 requires.</summary>
    Md5 = 5,

    /// <summary>SHA-1.</summary>
    Sha1 = 6,

    /// <summary>SHA-256.</summary>
    Sha256 = 7,

    /// <summary>SHA3-256.</summary>
    Sha3_256 = 8,
}
