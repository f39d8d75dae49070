using System.Buffers.Binary;

namespace Targetd.Qcow2.Metadata;

/// <summary>Tables of big-endian 64-bit entries (L1 tables, the refcount table) as they lie in the image file.</summary>
internal static class TableCodec
{
    /// <summary>Reads <paramref name="entries"/> entries at <paramref name="offset"/>; what lies past the file's end reads as zero.</summary>
    public static async ValueTask<ulong[]> ReadAsync(HostFile file, long offset, long entries, CancellationToken cancellationToken)
    {
        var bytes = new byte[entries * 8];
        await file.ReadAsync(offset, bytes, cancellationToken).ConfigureAwait(false);
        var table = new ulong[entries];
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(i * 8));
        }

        return table;
    }

    /// <summary>Encodes a table, zero-padded to <paramref name="byteLength"/> when that is longer (whole clusters).</summary>
    public static byte[] Encode(ulong[] table, long byteLength = 0)
    {
        var bytes = new byte[Math.Max(byteLength, table.Length * 8L)];
        for (int i = 0; i < table.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(i * 8), table[i]);
        }

        return bytes;
    }
}
