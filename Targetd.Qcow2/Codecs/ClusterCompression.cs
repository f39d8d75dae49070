using System.IO.Compression;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Targetd.Qcow2.Codecs;

/// <summary>
/// Compressed cluster codecs (qcow2 spec, "Compressed Clusters Descriptor"): type 0 is a raw deflate stream
/// (no zlib header), type 1 one or more zstd frames. Trailing bytes of the last 512-byte sector are ignored.
/// </summary>
internal static class ClusterCompression
{
    public const int Deflate = 0;
    public const int Zstd = 1;

    /// <summary>ZSTD_WINDOWLOG_ABSOLUTEMIN: the smallest window a zstd frame may declare (1 KiB).</summary>
    private const int MinWindowLog = 10;

    /// <summary>Decodes one cluster from <paramref name="compressed"/> into <paramref name="cluster"/>.</summary>
    /// <exception cref="InvalidDataException">The data does not decode to a whole cluster.</exception>
    public static void Decompress(int type, byte[] compressed, Span<byte> cluster)
    {
        using var input = new MemoryStream(compressed, writable: false);
        using Stream decoder = type == Zstd ? ZstdDecoder(input, cluster.Length) : new DeflateStream(input, CompressionMode.Decompress, leaveOpen: true);
        int done = 0;
        try
        {
            while (done < cluster.Length)
            {
                int read = decoder.Read(cluster[done..]);
                if (read == 0)
                {
                    break;
                }

                done += read;
            }
        }
        catch (Exception ex) when (ex is ZstdException or InvalidOperationException or IOException)
        {
            throw new InvalidDataException("A compressed cluster is damaged.", ex);
        }

        if (done != cluster.Length)
        {
            throw new InvalidDataException($"A compressed cluster decodes to {done} bytes, not {cluster.Length}.");
        }
    }

    /// <summary>
    /// A zstd decoder whose window is bounded by the cluster: a frame may ask for a window of up to 2 GiB, which the
    /// decoder would allocate, while a frame that compresses one cluster never needs more than the cluster.
    /// </summary>
    private static DecompressionStream ZstdDecoder(Stream input, int clusterSize)
    {
        var decoder = new DecompressionStream(input, leaveOpen: true);
        try
        {
            decoder.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, Math.Max(MinWindowLog, System.Numerics.BitOperations.Log2((uint)clusterSize)));
            return decoder;
        }
        catch
        {
            decoder.Dispose();
            throw;
        }
    }

    /// <summary>Compresses a cluster; null when the result would not be smaller than the cluster.</summary>
    public static byte[]? Compress(int type, ReadOnlySpan<byte> cluster)
    {
        byte[] result;
        if (type == Zstd)
        {
            using var compressor = new Compressor(3);
            result = compressor.Wrap(cluster).ToArray();
        }
        else
        {
            using var output = new MemoryStream();
            using (var encoder = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
            {
                encoder.Write(cluster);
            }

            result = output.ToArray();
        }

        return result.Length < cluster.Length ? result : null;
    }
}
