namespace Targetd.Qcow2.Format;

/// <summary>
/// A header extension (qcow2 spec, "Header extensions"): <c>u32 type, u32 length, data, padding to 8</c>.
/// Unknown extensions are kept and written back unchanged.
/// </summary>
internal sealed record HeaderExtension(uint Type, byte[] Data)
{
    public const uint End = 0x00000000;
    public const uint BackingFormat = 0xe2792aca;
    public const uint FeatureNameTable = 0x6803f857;
    public const uint Bitmaps = 0x23852875;
    public const uint FullDiskEncryption = 0x0537be77;
    public const uint ExternalDataFile = 0x44415441;

    /// <summary>Bytes this extension takes in the header cluster, padding included.</summary>
    public int EncodedLength => 8 + ((Data.Length + 7) & ~7);
}
