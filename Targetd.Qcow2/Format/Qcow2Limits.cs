namespace Targetd.Qcow2.Format;

/// <summary>
/// The bounds QEMU puts on what an image may ask for (block/qcow2.h, block/qcow2-bitmap.c), applied to every count,
/// size and offset read from an image before anything is allocated or looped over: an untrusted image costs no more
/// than its size.
/// </summary>
internal static class Qcow2Limits
{
    /// <summary>QCOW_MAX_SNAPSHOTS: "#define QCOW_MAX_SNAPSHOTS 65536".</summary>
    public const int MaxSnapshots = 65536;

    /// <summary>QCOW_MAX_SNAPSHOT_EXTRA_DATA: "#define QCOW_MAX_SNAPSHOT_EXTRA_DATA 1024".</summary>
    public const int MaxSnapshotExtraData = 1024;

    /// <summary>QCOW_MAX_SNAPSHOTS_SIZE: "#define QCOW_MAX_SNAPSHOTS_SIZE (1024 * QCOW_MAX_SNAPSHOTS)" (64 MiB).</summary>
    public const long MaxSnapshotTableBytes = 1024L * MaxSnapshots;

    /// <summary>QCOW_MAX_L1_SIZE: "#define QCOW_MAX_L1_SIZE (32 * MiB)", for the active and every snapshot L1 table.</summary>
    public const long MaxL1Bytes = 32L * 1024 * 1024;

    /// <summary>QCOW_MAX_REFTABLE_SIZE: "#define QCOW_MAX_REFTABLE_SIZE (8 * MiB)".</summary>
    public const long MaxRefcountTableBytes = 8L * 1024 * 1024;

    /// <summary>QCOW2_MAX_BITMAPS: "#define QCOW2_MAX_BITMAPS 65535".</summary>
    public const int MaxBitmaps = 65535;

    /// <summary>QCOW2_MAX_BITMAP_DIRECTORY_SIZE: "#define QCOW2_MAX_BITMAP_DIRECTORY_SIZE (1024 * QCOW2_MAX_BITMAPS)".</summary>
    public const long MaxBitmapDirectoryBytes = 1024L * MaxBitmaps;

    /// <summary>BME_MAX_TABLE_SIZE: "#define BME_MAX_TABLE_SIZE 0x8000000" entries of a bitmap table.</summary>
    public const long MaxBitmapTableEntries = 0x8000000;

    /// <summary>BME_MAX_NAME_SIZE: "#define BME_MAX_NAME_SIZE 1023".</summary>
    public const int MaxBitmapNameSize = 1023;

    /// <summary>BME_MIN_GRANULARITY_BITS: "#define BME_MIN_GRANULARITY_BITS 9" (512 bytes).</summary>
    public const int MinBitmapGranularityBits = 9;

    /// <summary>BME_MAX_GRANULARITY_BITS: "#define BME_MAX_GRANULARITY_BITS 31" (2 GiB).</summary>
    public const int MaxBitmapGranularityBits = 31;
}
