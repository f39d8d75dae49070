using System.Buffers;
using Targetd.Core.BlockDevices;

namespace Targetd.Storage.Pools;

/// <summary>Copies the contents of one block device onto another, reporting the percentage done.</summary>
internal static class BlockDeviceCopy
{
    /// <summary>The transfer size: large enough for sequential throughput, small enough to stay cancellable.</summary>
    public const int ChunkSize = 1024 * 1024;

    /// <summary>
    /// Copies the whole of <paramref name="source"/> to the start of <paramref name="destination"/> and flushes
    /// it. Every byte is written, zeroes included: a new LV holds whatever its extents held before.
    /// </summary>
    public static Task CopyAsync(IBlockDevice source, IBlockDevice destination, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Length < source.Length)
        {
            throw new ArgumentException($"The destination ({destination.Length} bytes) is smaller than the source ({source.Length} bytes).", nameof(destination));
        }

        return CopyExtentsAsync(source, destination, [new BlockExtent(0, source.Length)], progress, cancellationToken);
    }

    /// <summary>
    /// Copies <paramref name="extents"/> of <paramref name="source"/> to the same offsets of
    /// <paramref name="destination"/> and flushes it; <paramref name="progress"/> hears the percentage of the
    /// extents' bytes copied after each chunk, rising to 100.
    /// </summary>
    public static async Task CopyExtentsAsync(IBlockDevice source, IBlockDevice destination, IReadOnlyList<BlockExtent> extents, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        long total = extents.Sum(e => e.Length);
        long done = 0;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            foreach (var extent in extents)
            {
                for (long offset = extent.Offset; offset < extent.End; offset += ChunkSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var chunk = buffer.AsMemory(0, (int)Math.Min(ChunkSize, extent.End - offset));
                    await source.ReadAsync(offset, chunk, cancellationToken).ConfigureAwait(false);
                    await destination.WriteAsync(offset, chunk, cancellationToken).ConfigureAwait(false);
                    done += chunk.Length;
                    progress?.Report(100.0 * done / total);
                }
            }

            await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (total == 0)
            {
                progress?.Report(100);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
