using System.Buffers.Binary;
using Targetd.Qcow2.Format;
using Targetd.Qcow2.Metadata;

namespace Targetd.Qcow2;

// Internal snapshots (qcow2 spec, "Snapshots"): a snapshot is a copy of the L1 table whose L2 tables and data
// clusters gain one reference each, so writes to the active image copy them first. An in-place write decides
// under the metadata lock that its cluster is the active image's alone and then moves its data outside it, so a
// snapshot operation must not overlap a write: the caller quiesces writes (see the class remarks).
public sealed partial class Qcow2Image
{
    /// <summary>The image's internal snapshots.</summary>
    public async Task<IReadOnlyList<Qcow2SnapshotInfo>> ListSnapshotsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var entries = await ReadSnapshotTableAsync(cancellationToken).ConfigureAwait(false);
        return [.. entries.Select(e => new Qcow2SnapshotInfo(
            e.Id,
            e.Name,
            DateTimeOffset.FromUnixTimeSeconds(e.DateSeconds).AddTicks(e.DateNanoseconds / 100),
            TimeSpan.FromTicks((long)(e.VmClockNanoseconds / 100)),
            e.VmStateSize,
            e.DiskSize ?? Length))];
    }

    /// <summary>Takes a snapshot of the current disk content under a new name.</summary>
    /// <remarks>
    /// No write, zeroing, discard or compressed write may be in flight or start until this completes: it rewrites
    /// reference counts and COPIED flags that a write under way has already relied on (a write overwriting a
    /// cluster in place would change the snapshot's data too). Reads may continue.
    /// </remarks>
    /// <exception cref="ArgumentException">The name is empty or taken.</exception>
    public async Task CreateSnapshotAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        EnsureWritable();
        await _meta.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var entries = await ReadSnapshotTableAsync(cancellationToken).ConfigureAwait(false);
            if (entries.Any(e => e.Name == name || e.Id == name))
            {
                throw new ArgumentException($"A snapshot named '{name}' already exists.", nameof(name));
            }

            bool marked = await MarkDirtyForRefcountUpdateAsync(cancellationToken).ConfigureAwait(false);

            // The snapshot's copy of the L1 table, then one more reference to everything it reaches.
            long l1Bytes = (long)_l1.Length * 8;
            int l1Clusters = (int)Math.Max(1, (l1Bytes + _layout.ClusterSize - 1) / _layout.ClusterSize);
            long snapshotL1 = await _refcounts.AllocateAsync(l1Clusters, cancellationToken).ConfigureAwait(false);
            var copy = new ulong[_l1.Length];
            for (int i = 0; i < copy.Length; i++)
            {
                copy[i] = _l1[i] & ~L1Entry.CopiedFlag;
            }

            await _file.WriteAsync(snapshotL1, TableCodec.Encode(copy), cancellationToken).ConfigureAwait(false);
            await AdjustTreeAsync(copy, increment: true, cancellationToken).ConfigureAwait(false);
            await FixCopiedFlagsLockedAsync(cancellationToken).ConfigureAwait(false);
            await FlushLockedAsync(cancellationToken).ConfigureAwait(false);

            var now = DateTimeOffset.UtcNow;
            var extra = new byte[16];
            BinaryPrimitives.WriteUInt64BigEndian(extra.AsSpan(8), (ulong)Length);
            long nextId = entries.Select(e => long.TryParse(e.Id, out long id) ? id : 0).DefaultIfEmpty(0).Max() + 1;
            entries.Add(new SnapshotEntry
            {
                L1TableOffset = snapshotL1,
                L1Size = _l1.Length,
                Id = nextId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Name = name,
                DateSeconds = (uint)now.ToUnixTimeSeconds(),
                DateNanoseconds = (uint)(now.Ticks % TimeSpan.TicksPerSecond * 100),
                ExtraData = extra,
            });
            await WriteSnapshotTableAsync(entries, cancellationToken).ConfigureAwait(false);
            await ClearDirtyMarkAsync(marked, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _meta.Release();
        }
    }

    /// <summary>Reverts the disk to a snapshot's content; the snapshot stays.</summary>
    /// <remarks>
    /// No write, zeroing, discard or compressed write may be in flight or start until this completes: it rewrites
    /// reference counts and COPIED flags that a write under way has already relied on (a write overwriting a
    /// cluster in place would change the snapshot's data too). Reads may continue.
    /// </remarks>
    /// <exception cref="ArgumentException">No snapshot has that name or id.</exception>
    public async Task ApplySnapshotAsync(string nameOrId, CancellationToken cancellationToken = default)
    {
        EnsureWritable();
        await _meta.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var entries = await ReadSnapshotTableAsync(cancellationToken).ConfigureAwait(false);
            var snapshot = Find(entries, nameOrId);
            if (snapshot.L1Size > _l1.Length)
            {
                throw new Qcow2FormatException("The snapshot's L1 table is larger than the active one; resize the image first.");
            }

            bool marked = await MarkDirtyForRefcountUpdateAsync(cancellationToken).ConfigureAwait(false);
            var target = await ReadL1Async(snapshot.L1TableOffset, snapshot.L1Size, cancellationToken).ConfigureAwait(false);
            var old = (ulong[])_l1.Clone();
            await AdjustTreeAsync(target, increment: true, cancellationToken).ConfigureAwait(false);
            Array.Clear(_l1);
            for (int i = 0; i < target.Length; i++)
            {
                _l1[i] = target[i] & ~L1Entry.CopiedFlag;
            }

            if (snapshot.DiskSize is { } size && size != _header.Size)
            {
                _header = _header with { Size = size };
                _headerDirty = true;
            }

            _l1Dirty = true;
            await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
            await AdjustTreeAsync(old, increment: false, cancellationToken).ConfigureAwait(false);
            await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
            await FixCopiedFlagsLockedAsync(cancellationToken).ConfigureAwait(false);
            await ClearDirtyMarkAsync(marked, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _meta.Release();
        }
    }

    /// <summary>Deletes a snapshot and releases what only it referenced.</summary>
    /// <remarks>
    /// No write, zeroing, discard or compressed write may be in flight or start until this completes: it rewrites
    /// reference counts and COPIED flags that a write under way has already relied on (a write overwriting a
    /// cluster in place would change the snapshot's data too). Reads may continue.
    /// </remarks>
    /// <exception cref="ArgumentException">No snapshot has that name or id.</exception>
    public async Task DeleteSnapshotAsync(string nameOrId, CancellationToken cancellationToken = default)
    {
        EnsureWritable();
        await _meta.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var entries = await ReadSnapshotTableAsync(cancellationToken).ConfigureAwait(false);
            var snapshot = Find(entries, nameOrId);
            entries.Remove(snapshot);
            bool marked = await MarkDirtyForRefcountUpdateAsync(cancellationToken).ConfigureAwait(false);
            await WriteSnapshotTableAsync(entries, cancellationToken).ConfigureAwait(false);
            var l1 = await ReadL1Async(snapshot.L1TableOffset, snapshot.L1Size, cancellationToken).ConfigureAwait(false);
            await AdjustTreeAsync(l1, increment: false, cancellationToken).ConfigureAwait(false);
            _refcounts.QueueRelease(snapshot.L1TableOffset, Math.Max(1, (long)snapshot.L1Size * 8));
            await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
            await FixCopiedFlagsLockedAsync(cancellationToken).ConfigureAwait(false);
            await ClearDirtyMarkAsync(marked, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _meta.Release();
        }
    }

    /// <summary>
    /// Flushes, then marks a version 3 image dirty for the refcount and COPIED flag updates of a snapshot operation:
    /// they take several writes, and no order of them is consistent at every point (QEMU's check counts a reference
    /// count of 1 without the flag, or above 1 with it, as corruption). An image cut off midway is then rebuilt
    /// when next opened, by us as by QEMU. Returns whether it was marked here.
    /// </summary>
    private async ValueTask<bool> MarkDirtyForRefcountUpdateAsync(CancellationToken cancellationToken)
    {
        await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
        if (_header.Version < 3 || IsDirty)
        {
            return false;
        }

        _header = _header with { Incompatible = _header.Incompatible | IncompatibleFeatures.Dirty };
        await WriteHeaderAsync(cancellationToken).ConfigureAwait(false);
        await SyncMetadataAsync(cancellationToken).ConfigureAwait(false);
        _dirtyMarkDurable = true;
        return true;
    }

    /// <summary>Flushes, then removes the dirty mark <see cref="MarkDirtyForRefcountUpdateAsync"/> set, if it set one.</summary>
    private async ValueTask ClearDirtyMarkAsync(bool marked, CancellationToken cancellationToken)
    {
        await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
        if (marked)
        {
            _dirtyMarkDurable = false;
            _header = _header with { Incompatible = _header.Incompatible & ~IncompatibleFeatures.Dirty };
            await WriteHeaderAsync(cancellationToken).ConfigureAwait(false);
            await SyncMetadataAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Switches a read-only image to show a snapshot's content.</summary>
    internal async Task ShowSnapshotAsync(string nameOrId, CancellationToken cancellationToken)
    {
        var snapshot = Find(await ReadSnapshotTableAsync(cancellationToken).ConfigureAwait(false), nameOrId);
        var l1 = await ReadL1Async(snapshot.L1TableOffset, snapshot.L1Size, cancellationToken).ConfigureAwait(false);
        long size = snapshot.DiskSize ?? _header.Size;
        if (_layout.L1EntriesFor(size) > l1.Length)
        {
            throw new Qcow2FormatException($"Snapshot '{nameOrId}' has an L1 table too small for its size.");
        }

        _l1 = l1;
        _header = _header with { Size = size };
    }

    private static SnapshotEntry Find(List<SnapshotEntry> entries, string nameOrId) =>
        entries.FirstOrDefault(e => e.Id == nameOrId) ?? entries.FirstOrDefault(e => e.Name == nameOrId)
        ?? throw new ArgumentException($"Can't find the snapshot '{nameOrId}'.", nameof(nameOrId));

    private Task<List<SnapshotEntry>> ReadSnapshotTableAsync(CancellationToken cancellationToken) =>
        ReadSnapshotTableAsync(_file, _header, cancellationToken);

    /// <summary>
    /// Reads and checks the snapshot table, reading no more of the file than its entries take: 64 KiB first, doubled
    /// while entries remain, up to QEMU's 64 MiB limit and the end of the file.
    /// </summary>
    private static async Task<List<SnapshotEntry>> ReadSnapshotTableAsync(HostFile file, Qcow2Header header, CancellationToken cancellationToken)
    {
        if (header.SnapshotCount == 0)
        {
            return [];
        }

        long fileLength = file.Length;
        long available = Math.Clamp(fileLength - header.SnapshotsOffset, 0, Qcow2Limits.MaxSnapshotTableBytes);
        long length = Math.Min(available, 64 * 1024);
        while (true)
        {
            var table = new byte[length];
            await file.ReadAsync(header.SnapshotsOffset, table, cancellationToken).ConfigureAwait(false);
            if (SnapshotEntry.ParseTable(table, header.SnapshotCount, fileLength, header.ClusterSize, wholeTable: length == available) is { } entries)
            {
                return entries;
            }

            length = Math.Min(available, length * 2);
        }
    }

    private async Task WriteSnapshotTableAsync(List<SnapshotEntry> entries, CancellationToken cancellationToken)
    {
        long oldOffset = _header.SnapshotsOffset;
        long oldLength = _header.SnapshotCount == 0 ? 0 : SnapshotEntry.SerializeTable(await ReadSnapshotTableAsync(cancellationToken).ConfigureAwait(false)).Length;
        var table = SnapshotEntry.SerializeTable(entries);
        long offset = 0;
        if (table.Length > 0)
        {
            int clusters = (int)((table.Length + _layout.ClusterSize - 1) / _layout.ClusterSize);
            offset = await _refcounts.AllocateAsync(clusters, cancellationToken).ConfigureAwait(false);
            await _file.WriteAsync(offset, table, cancellationToken).ConfigureAwait(false);
        }

        _header = _header with { SnapshotCount = entries.Count, SnapshotsOffset = offset };
        _headerDirty = true;
        await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
        if (oldLength > 0)
        {
            _refcounts.QueueRelease(oldOffset, oldLength);
            await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<ulong[]> ReadL1Async(long offset, int size, CancellationToken cancellationToken)
    {
        if (offset + ((long)size * 8) > _file.Length || size > 4 * 1024 * 1024)
        {
            throw new Qcow2FormatException("A snapshot's L1 table lies past the end of the image file.");
        }

        return await TableCodec.ReadAsync(_file, offset, size, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds (or queues the release of) one reference to every L2 table and data cluster an L1 table reaches.</summary>
    private async Task AdjustTreeAsync(ulong[] l1, bool increment, CancellationToken cancellationToken)
    {
        foreach (ulong raw in l1)
        {
            long l2Offset = new L1Entry(raw).L2Offset;
            if (l2Offset == 0)
            {
                continue;
            }

            await AdjustAsync(l2Offset, _layout.ClusterSize, increment, cancellationToken).ConfigureAwait(false);
            var table = await _l2Cache.GetAsync(l2Offset, cancellationToken).ConfigureAwait(false);
            for (int j = 0; j < _layout.L2Entries; j++)
            {
                var entry = ReadEntry(table, j);
                if (entry.IsCompressed)
                {
                    long offset = entry.CompressedOffset(_layout.ClusterBits) & ~511L;
                    await AdjustAsync(offset, entry.CompressedSectors(_layout.ClusterBits) * 512L, increment, cancellationToken).ConfigureAwait(false);
                }
                else if (entry.HostOffset != 0)
                {
                    await AdjustAsync(entry.HostOffset, _layout.ClusterSize, increment, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task AdjustAsync(long offset, long length, bool increment, CancellationToken cancellationToken)
    {
        if (!increment)
        {
            _refcounts.QueueRelease(offset, length);
            return;
        }

        for (long c = offset >> _layout.ClusterBits; c <= (offset + length - 1) >> _layout.ClusterBits; c++)
        {
            await _refcounts.IncrementAsync(c, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sets COPIED on every active L1 and L2 entry exactly where the refcount is one.</summary>
    private async Task FixCopiedFlagsLockedAsync(CancellationToken cancellationToken)
    {
        for (int i = 0; i < _l1.Length; i++)
        {
            var l1 = new L1Entry(_l1[i]);
            if (l1.L2Offset == 0)
            {
                continue;
            }

            bool tableCopied = await _refcounts.GetAsync(l1.L2Offset >> _layout.ClusterBits, cancellationToken).ConfigureAwait(false) == 1;
            if (tableCopied != l1.IsCopied)
            {
                _l1[i] = L1Entry.For(l1.L2Offset, tableCopied).Raw;
                _l1Dirty = true;
            }

            var table = await _l2Cache.GetAsync(l1.L2Offset, cancellationToken).ConfigureAwait(false);
            bool changed = false;
            for (int j = 0; j < _layout.L2Entries; j++)
            {
                var entry = ReadEntry(table, j);
                if (entry.IsCompressed || entry.HostOffset == 0)
                {
                    continue;
                }

                bool copied = await _refcounts.GetAsync(entry.HostOffset >> _layout.ClusterBits, cancellationToken).ConfigureAwait(false) == 1;
                if (copied != entry.IsCopied)
                {
                    ulong updated = copied ? entry.Raw | L2Entry.CopiedFlag : entry.Raw & ~L2Entry.CopiedFlag;
                    BinaryPrimitives.WriteUInt64BigEndian(table.AsSpan(j * _layout.L2EntrySize), updated);
                    changed = true;
                }
            }

            if (changed)
            {
                _l2Cache.MarkDirty(l1.L2Offset);
            }
        }
    }
}
