using System.Buffers.Binary;
using Targetd.Qcow2.Format;
using Targetd.Qcow2.Metadata;

namespace Targetd.Qcow2;

// Persistent dirty bitmaps (qcow2 spec, "Bitmaps") stay valid: enabled bitmaps are marked in_use before the
// first write, every written range sets its bits (bit i of the data is byte i / 8, bit i % 8), and the bits are
// stored and in_use cleared on a clean close. Disabled bitmaps are left untouched.
public sealed partial class Qcow2Image
{
    private readonly Lock _bitmapGate = new();
    private List<TrackedBitmap>? _trackedBitmaps;
    private long _bitmapDirectoryOffset;
    private byte[] _bitmapDirectory = [];
    private bool _bitmapsInUse;

    private async ValueTask LoadBitmapsAsync(CancellationToken cancellationToken)
    {
        if (await ReadBitmapDirectoryAsync(_file, _header, cancellationToken).ConfigureAwait(false) is not { } read)
        {
            return;
        }

        _bitmapDirectory = read.Directory;
        _bitmapDirectoryOffset = read.Offset;
        var enabled = read.Bitmaps.Where(b => b.IsEnabled).ToList();
        if (enabled.Count > 0)
        {
            _trackedBitmaps = [.. enabled.Select(b => new TrackedBitmap(b))];
        }
    }

    /// <summary>
    /// Reads and checks the bitmap directory, or null when the image has none. qcow2 spec, "autoclear_features": "Bit 0:
    /// Bitmaps extension bit [...] If the bitmaps extension is present but this bit is unset, the bitmaps extension data
    /// must be considered inconsistent." Such a directory is not read.
    /// </summary>
    /// <exception cref="Qcow2FormatException">The extension or an entry is beyond QEMU's limits or outside the file.</exception>
    private static async ValueTask<(long Offset, byte[] Directory, List<PersistentBitmap> Bitmaps)?> ReadBitmapDirectoryAsync(HostFile file, Qcow2Header header, CancellationToken cancellationToken)
    {
        var extension = header.Extensions.FirstOrDefault(e => e.Type == HeaderExtension.Bitmaps);
        if (extension is null || (header.Autoclear & 1) == 0)
        {
            return null;
        }

        long fileLength = file.Length;
        var (count, size, offset) = PersistentBitmap.ReadExtension(extension.Data, fileLength, header.ClusterSize);
        var directory = new byte[size];
        await file.ReadAsync(offset, directory, cancellationToken).ConfigureAwait(false);
        return (offset, directory, PersistentBitmap.ParseDirectory(directory, count, fileLength, header.ClusterSize));
    }

    /// <summary>Records a guest range about to be written in every enabled bitmap.</summary>
    private async ValueTask TrackWriteAsync(long offset, long length, CancellationToken cancellationToken)
    {
        if (_trackedBitmaps is null || length == 0)
        {
            return;
        }

        if (!_bitmapsInUse)
        {
            await MarkBitmapsInUseAsync(cancellationToken).ConfigureAwait(false);
        }

        lock (_bitmapGate)
        {
            foreach (var bitmap in _trackedBitmaps)
            {
                bitmap.Mark(offset, length, _layout.ClusterSize);
            }
        }
    }

    private async ValueTask MarkBitmapsInUseAsync(CancellationToken cancellationToken)
    {
        await _meta.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_bitmapsInUse)
            {
                return;
            }

            await WriteBitmapFlagsAsync(inUse: true, cancellationToken).ConfigureAwait(false);
            _bitmapsInUse = true;
        }
        finally
        {
            _meta.Release();
        }
    }

    private async ValueTask WriteBitmapFlagsAsync(bool inUse, CancellationToken cancellationToken)
    {
        foreach (var tracked in _trackedBitmaps!)
        {
            var flags = _bitmapDirectory.AsSpan(tracked.Bitmap.DirectoryPosition + 12, 4);
            uint value = BinaryPrimitives.ReadUInt32BigEndian(flags);
            BinaryPrimitives.WriteUInt32BigEndian(flags, inUse ? value | PersistentBitmap.InUse : value & ~PersistentBitmap.InUse);
        }

        await _file.WriteAsync(_bitmapDirectoryOffset, _bitmapDirectory, cancellationToken).ConfigureAwait(false);
        await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stores the recorded bits and clears in_use; part of a clean close, under the metadata lock.</summary>
    private async ValueTask StoreBitmapsLockedAsync(CancellationToken cancellationToken)
    {
        if (_trackedBitmaps is null || !_bitmapsInUse)
        {
            return;
        }

        var tables = new List<(long Offset, byte[] Table)>();
        foreach (var tracked in _trackedBitmaps)
        {
            var table = new byte[tracked.Bitmap.TableSize * 8L];
            await _file.ReadAsync(tracked.Bitmap.TableOffset, table, cancellationToken).ConfigureAwait(false);
            foreach (var (index, bits) in tracked.Chunks)
            {
                if (index >= tracked.Bitmap.TableSize)
                {
                    continue;
                }

                ulong entry = BinaryPrimitives.ReadUInt64BigEndian(table.AsSpan((int)(index * 8)));
                long dataOffset = (long)(entry & L1Entry.OffsetMask);
                if (dataOffset == 0 && (entry & 1) != 0)
                {
                    continue; // all ones already
                }

                var data = new byte[_layout.ClusterSize];
                if (dataOffset != 0)
                {
                    await _file.ReadAsync(dataOffset, data, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    dataOffset = await _refcounts.AllocateAsync(1, cancellationToken).ConfigureAwait(false);
                    BinaryPrimitives.WriteUInt64BigEndian(table.AsSpan((int)(index * 8)), (ulong)dataOffset);
                }

                for (int i = 0; i < data.Length; i++)
                {
                    data[i] |= bits[i];
                }

                await _file.WriteAsync(dataOffset, data, cancellationToken).ConfigureAwait(false);
            }

            tables.Add((tracked.Bitmap.TableOffset, table));
        }

        // Data clusters and their refcounts first, then the tables that point at them, then the flags.
        await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (offset, table) in tables)
        {
            await _file.WriteAsync(offset, table, cancellationToken).ConfigureAwait(false);
        }

        await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        await WriteBitmapFlagsAsync(inUse: false, cancellationToken).ConfigureAwait(false);
        _bitmapsInUse = false;
    }

    private sealed class TrackedBitmap(PersistentBitmap bitmap)
    {
        public PersistentBitmap Bitmap { get; } = bitmap;

        /// <summary>Bits set since open, per bitmap data cluster.</summary>
        public Dictionary<long, byte[]> Chunks { get; } = [];

        public void Mark(long offset, long length, int clusterSize)
        {
            long bitsPerCluster = clusterSize * 8L;
            long first = offset >> Bitmap.GranularityBits;
            long last = (offset + length - 1) >> Bitmap.GranularityBits;
            for (long bit = first; bit <= last; bit++)
            {
                long chunk = bit / bitsPerCluster;
                if (!Chunks.TryGetValue(chunk, out var bits))
                {
                    bits = new byte[clusterSize];
                    Chunks[chunk] = bits;
                }

                long inChunk = bit % bitsPerCluster;
                bits[inChunk >> 3] |= (byte)(1 << (int)(inChunk & 7));
            }
        }
    }
}
