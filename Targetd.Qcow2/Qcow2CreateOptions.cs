namespace Targetd.Qcow2;

/// <summary>The options of a new image, named as <c>qemu-img create -o</c> names them.</summary>
public sealed record Qcow2CreateOptions
{
    /// <summary>Virtual size in bytes; null takes the backing file's size.</summary>
    public long? Size { get; init; }

    /// <summary>Format version: 2 (compat=0.10) or 3 (compat=1.1).</summary>
    public int Version { get; init; } = 3;

    /// <summary>Cluster size, a power of two from 512 bytes to 2 MiB.</summary>
    public int ClusterSize { get; init; } = 65536;

    /// <summary>Refcount width: 1, 2, 4, 8, 16, 32 or 64 bits (version 2 allows only 16).</summary>
    public int RefcountBits { get; init; } = 16;

    /// <summary>Use 128-bit L2 entries with 32 subclusters per cluster (version 3, clusters of 16 KiB or more).</summary>
    public bool ExtendedL2 { get; init; }

    /// <summary>Set the lazy refcounts compatible feature (version 3).</summary>
    public bool LazyRefcounts { get; init; }

    /// <summary>Compression type of compressed clusters: "zlib" or "zstd" (version 3).</summary>
    public string CompressionType { get; init; } = "zlib";

    /// <summary>Backing file name as stored in the image (relative names resolve against the image's folder).</summary>
    public string? BackingFile { get; init; }

    /// <summary>The backing file's format, "qcow2" or "raw".</summary>
    public string? BackingFormat { get; init; }

    /// <summary>Allocate every L2 table up front ("metadata") or not ("off").</summary>
    public string Preallocation { get; init; } = "off";
}
