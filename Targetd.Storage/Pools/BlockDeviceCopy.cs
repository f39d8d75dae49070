using System.Buffers;
using Targetd.Core.BlockDevices;

namespace Targetd.Storage.Pools.Lvm;

/// <summary>Copies the contents of one block device onto another.</summary>
internal static class BlockDeviceCopy
{
    /// <summary>The transfer size: large enough for sequential throughput, small enough to stay cancellable.</summary>
    public const int ChunkSize = 1024 * 1024;

    /// <summary>
    /// Copies the whole of <paramref name="source"/> to the start of <paramref name="destination"/> and flushes
    /// it. Every byte is written, zeroes included: a new LV holds whatever its extents held before.
    /// </summary>
    public static async Task CopyAsync(IBlockDevice source, IBlockDevice destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"The destination ({destination.Length} bytes) is smaller than the source ({source.Length} bytes).", nameof(destination));
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            for (long offset = 0; offset < source.Length; offset += ChunkSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var chunk = buffer.AsMemory(0, (int)Math.Min(ChunkSize, source.Length - offset));
                await source.ReadAsync(offset, chunk, cancellationToken).ConfigureAwait(false);
                await destination.WriteAsync(offset, chunk, cancellationToken).ConfigureAwait(false);
            }

            await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
