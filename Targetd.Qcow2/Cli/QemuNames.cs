namespace Targetd.Qcow2.Cli;

/// <summary>qemu-img's spellings of the option values that are enums in the library, both ways.</summary>
internal static class QemuNames
{
    public static Qcow2CompressionType ParseCompressionType(string value) => value switch
    {
        "zlib" => Qcow2CompressionType.Zlib,
        "zstd" => Qcow2CompressionType.Zstd,
        _ => throw new CliException($"Parameter 'compression_type' does not accept value '{value}' (expecting zlib or zstd)"),
    };

    public static string Name(Qcow2CompressionType type) => type switch
    {
        Qcow2CompressionType.Zstd => "zstd",
        _ => "zlib",
    };

    public static Qcow2Preallocation ParsePreallocation(string value) => value switch
    {
        "off" => Qcow2Preallocation.Off,
        "metadata" => Qcow2Preallocation.Metadata,
        "falloc" or "full" => throw new CliException($"Unsupported preallocation mode '{value}' (use off or metadata)"),
        _ => throw new CliException($"Parameter 'preallocation' does not accept value '{value}' (expecting off or metadata)"),
    };

    public static Qcow2BackingFormat ParseBackingFormat(string value) => value switch
    {
        "qcow2" => Qcow2BackingFormat.Qcow2,
        "raw" => Qcow2BackingFormat.Raw,
        _ => throw new CliException($"Unsupported backing file format '{value}' (expecting qcow2 or raw)"),
    };
}
