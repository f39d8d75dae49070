namespace Targetd.Core.BlockDevices;

/// <summary>Argument checks shared by the block device implementations.</summary>
internal static class BlockRange
{
    public static void Validate(IBlockDevice device, long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset > device.Length || length > device.Length - offset)
        {
            throw new ArgumentOutOfRangeException(
                nameof(offset),
                $"The range [{offset}, {offset + length}) lies past the end of the device ({device.Length} bytes).");
        }
    }

    /// <summary>Logical block sizes are powers of two from 512 to 65536 bytes.</summary>
    public static void ValidateBlockSize(int blockSize, string parameterName)
    {
        if (blockSize < 512 || blockSize > 65536 || !int.IsPow2(blockSize))
        {
            throw new ArgumentOutOfRangeException(parameterName, "The block size must be a power of two from 512 to 65536.");
        }
    }

    public static void EnsureWritable(IBlockDevice device)
    {
        if (device.IsReadOnly)
        {
            throw new NotSupportedException("The block device is read-only.");
        }
    }
}
