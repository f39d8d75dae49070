namespace Targetd.Qcow2;

/// <summary>
/// The options of a new image (<see cref="Qcow2Image.CreateAsync"/>), named as <c>qemu-img create -o</c> names
/// them. The defaults are qemu-img's.
/// </summary>
public sealed record Qcow2CreateOptions
{
    /// <summary>
    /// Virtual size in bytes, rounded up to a multiple of 512 as qemu-img rounds it. Default: null, which takes the
    /// backing file's size, rounded the same way (a size or a backing file must be given).
    /// </summary>
    public long? Size { get; init; }

    /// <summary>Format version: 2 (<c>compat=0.10</c>) or 3 (<c>compat=1.1</c>). Default: 3.</summary>
    public int Version { get; init; } = 3;

    /// <summary>Cluster size in bytes, a power of two from 512 bytes to 2 MiB. Default: 65536 (64 KiB).</summary>
    public int ClusterSize { get; init; } = 65536;

    /// <summary>Refcount width: 1, 2, 4, 8, 16, 32 or 64 bits (version 2 allows only 16). Default: 16.</summary>
    public int RefcountBits { get; init; } = 16;

    /// <summary>
    /// Use 128-bit L2 entries with 32 subclusters per cluster (version 3, clusters of 16 KiB or more). Default: false.
    /// </summary>
    public bool ExtendedL2 { get; init; }

    /// <summary>Set the lazy refcounts compatible feature (version 3). Default: false.</summary>
    public bool LazyRefcounts { get; init; }

    /// <summary>
    /// Compression type of compressed clusters (<see cref="Qcow2CompressionType.Zstd"/> needs version 3).
    /// Default: <see cref="Qcow2CompressionType.Zlib"/>.
    /// </summary>
    public Qcow2CompressionType CompressionType { get; init; } = Qcow2CompressionType.Zlib;

    /// <summary>
    /// Backing file name as stored in the image (relative names resolve against the image's folder). Default:
    /// null, no backing file.
    /// </summary>
    public string? BackingFile { get; init; }

    /// <summary>
    /// The backing file's format; required with <see cref="BackingFile"/>, as qemu-img requires <c>-F</c>.
    /// Default: null.
    /// </summary>
    public Qcow2BackingFormat? BackingFormat { get; init; }

    /// <summary>What to allocate up front. Default: <see cref="Qcow2Preallocation.Off"/>.</summary>
    public Qcow2Preallocation Preallocation { get; init; } = Qcow2Preallocation.Off;
}
