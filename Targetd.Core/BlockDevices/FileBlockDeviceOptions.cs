namespace Targetd.Core.BlockDevices;

/// <summary>How <see cref="FileBlockDevice"/> opens its file.</summary>
public sealed record FileBlockDeviceOptions
{
    /// <summary>Open for reading only.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>The logical block size reported to initiators.</summary>
    public int LogicalBlockSize { get; init; } = 512;
}
