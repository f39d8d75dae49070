namespace Targetd.Qcow2;

/// <summary>
/// How compressed clusters are compressed: the header's compression type, <c>compression_type</c> in
/// <c>qemu-img create -o</c>. The values are the header's codes.
/// </summary>
public enum Qcow2CompressionType
{
    /// <summary>Raw deflate (<c>zlib</c>), the only type version 2 images know.</summary>
    Zlib = 0,

    /// <summary>Zstandard (<c>zstd</c>); version 3 only, sets the compression type incompatible feature.</summary>
    Zstd = 1,
}
