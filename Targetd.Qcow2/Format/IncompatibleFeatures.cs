namespace Targetd.Qcow2.Format;

/// <summary>Header incompatible feature bits (qcow2 spec, "incompatible_features", bytes 72–79).</summary>
[Flags]
internal enum IncompatibleFeatures : ulong
{
    None = 0,

    /// <summary>Bit 0: refcounts may be inconsistent (lazy refcounts in use, image not closed cleanly).</summary>
    Dirty = 1 << 0,

    /// <summary>Bit 1: metadata is known to be corrupt; writes are not allowed.</summary>
    Corrupt = 1 << 1,

    /// <summary>Bit 2: guest data lives in an external data file.</summary>
    ExternalDataFile = 1 << 2,

    /// <summary>Bit 3: the compression_type header field is valid.</summary>
    CompressionType = 1 << 3,

    /// <summary>Bit 4: L2 entries are 128 bits with subcluster bitmaps.</summary>
    ExtendedL2 = 1 << 4,

    /// <summary>The bits this engine understands.</summary>
    Known = Dirty | Corrupt | ExternalDataFile | CompressionType | ExtendedL2,
}
