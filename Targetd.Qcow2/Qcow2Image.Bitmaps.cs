using System.Buffers.Binary;
using Targetd.Qcow2.Format;

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
        var extension = _header.Extensions.FirstOrDefault(e => e.Type == HeaderExtension.Bitmaps);
        if (extension is null || extension.Data.Length < 24 || (_header.Autoclear & 1) == 0)
        {
            return;
        }

        int count = (int)BinaryPrimitives.ReadUInt32BigEndian(extension.Data);
        long size = (long)BinaryPrimitives.ReadUInt64BigEndian(extension.Data.AsSpan(8));
        long offset = (long)BinaryPrimitives.ReadUInt64BigEndian(extension.Data.AsSpan(16));
        if (size <= 0 || size > 64L * 1024 * 1024 || offset + size > _file.Length)
        {
            throw new Qcow2FormatException("The bitmap directory lies past the end of the image file.");
        }

        _bitmapDirectory = new byte[size];
        _bitmapDirectoryOffset = offset;
        await _file.ReadAsync(offset, _bitmapDirectory, cancellationToken).ConfigureAwait(false);
        var enabled = PersistentBitmap.ParseDirectory(_bitmapDirectory, count).Where(b => b.IsEnabled).ToList();
        if (enabled.Count > 0)
        {
            _trackedBitmaps = [.. enabled.Select(b => new TrackedBitmap(b))];
        }
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
