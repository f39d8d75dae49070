using System.Buffers.Binary;
using System.Globalization;
using Targetd.Qcow2.Format;
using Targetd.Qcow2.Metadata;

namespace Targetd.Qcow2;

// Consistency check and repair, as qemu-img check does it: every reference from the header, the active and
// snapshot L1/L2 tables, the refcount structures, the snapshot table and the bitmaps is counted and compared
// with the stored refcounts and COPIED flags.
public sealed partial class Qcow2Image
{
    /// <summary>Checks the image; with a repair mode (and a writable image), fixes what it finds.</summary>
    public async Task<Qcow2CheckResult> CheckAsync(Qcow2RepairMode repair = Qcow2RepairMode.None, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (repair != Qcow2RepairMode.None)
        {
            EnsureWritable();
        }

        await _meta.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!IsReadOnly)
            {
                await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
            }

            return await CheckLockedAsync(repair, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _meta.Release();
        }
    }

    private async Task RepairAsync(Qcow2RepairMode repair, CancellationToken cancellationToken)
    {
        await _meta.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CheckLockedAsync(repair, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _meta.Release();
        }
    }

    private async Task<Qcow2CheckResult> CheckLockedAsync(Qcow2RepairMode repair, CancellationToken cancellationToken)
    {
        var state = new CheckState(Math.Max(_refcounts.HostEndCluster, (_file.Length + _layout.ClusterSize - 1) >> _layout.ClusterBits), _layout.ClusterBits);
        state.Reference(0, _layout.ClusterSize, "header");
        state.Reference(_header.L1TableOffset, (long)_l1.Length * 8, "L1 table");
        var copiedFixes = new List<(long L2Offset, int Index, L2Entry Entry)>();
        var l1Fixes = new List<int>();
        await CountActiveL1Async(state, copiedFixes, cancellationToken).ConfigureAwait(false);

        if (_header.SnapshotCount > 0)
        {
            // Snapshots name the same L1 table or share L2 tables (every snapshot shares the tables it did not change):
            // each distinct table is walked once and its references counted once per name, so the work follows the
            // distinct metadata and not the snapshot count (65,535 snapshots over one table are not 65,535 walks).
            var snapshots = await ReadSnapshotTableAsync(cancellationToken).ConfigureAwait(false);
            int used = 0;
            var l1Names = new Dictionary<(long Offset, int Size), int>();
            foreach (var snapshot in snapshots)
            {
                used += (40 + snapshot.ExtraData.Length + System.Text.Encoding.UTF8.GetByteCount(snapshot.Id) + System.Text.Encoding.UTF8.GetByteCount(snapshot.Name) + 7) & ~7;
                state.Reference(snapshot.L1TableOffset, (long)snapshot.L1Size * 8, "snapshot L1 table");
                var key = (snapshot.L1TableOffset, snapshot.L1Size);
                l1Names[key] = l1Names.GetValueOrDefault(key) + 1;
            }

            var l2Names = new Dictionary<long, int>();
            foreach (var ((offset, size), names) in l1Names)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var l1 = await TableCodec.ReadAsync(_file, offset, size, cancellationToken).ConfigureAwait(false);
                CollectSnapshotL2Tables(state, l1, names, l2Names);
            }

            foreach (var (l2Offset, names) in l2Names)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var table = await _l2Cache.GetAsync(l2Offset, cancellationToken).ConfigureAwait(false);
                for (int j = 0; j < _layout.L2Entries; j++)
                {
                    CountL2Entry(state, ReadEntry(table, j), null, copiedFixes, names);
                }
            }

            state.Reference(_header.SnapshotsOffset, used, "snapshot table");
        }

        state.Reference(_refcounts.TableOffset, (long)_refcounts.TableClusters << _layout.ClusterBits, "refcount table");
        var refTable = await RefcountManagerTableAsync(cancellationToken).ConfigureAwait(false);
        foreach (ulong entry in refTable)
        {
            long block = (long)(entry & L1Entry.OffsetMask);
            if (block != 0)
            {
                state.Reference(block, _layout.ClusterSize, "refcount block");
            }
        }

        await CountBitmapsAsync(state, cancellationToken).ConfigureAwait(false);

        int leaks = 0;
        int leaksFixed = 0;
        int corruptionsFixed = 0;
        // Every cluster of the file is compared; past its end only the refcount blocks that exist can claim clusters,
        // and their entries are scanned for non-zero ones, so the work is bounded by the file's size and not by what the
        // refcount table claims (one entry set at the end of an 8 MiB table covers 2^44 clusters).
        long end = Math.Max(state.Length, _refcounts.HostEndCluster);
        long lastUsed = 0;
        for (long c = 0; c < end; c++)
        {
            if ((c & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            await CompareAsync(c).ConfigureAwait(false);
        }

        for (long index = end / _layout.RefcountBlockEntries; index < refTable.Length; index++)
        {
            long block = (long)(refTable[index] & L1Entry.OffsetMask);
            if (block == 0 || block + _layout.ClusterSize > _file.Length)
            {
                continue; // a block outside the file is already an error of the refcount table
            }

            long firstCluster = index * _layout.RefcountBlockEntries;
            foreach (long c in await _refcounts.NonZeroEntriesAsync(block, cancellationToken).ConfigureAwait(false))
            {
                if (firstCluster + c >= end)
                {
                    await CompareAsync(firstCluster + c).ConfigureAwait(false);
                }
            }
        }

        // COPIED on the active L1 and L2 entries must say "refcount is exactly one", read from the refcounts as they
        // are now (after any repair above), as qemu-img check's check_oflag_copied reads them.
        for (int i = 0; i < _l1.Length; i++)
        {
            var l1 = new L1Entry(_l1[i]);
            if (l1.L2Offset == 0)
            {
                continue;
            }

            ulong refcount = await _refcounts.GetAsync(l1.L2Offset >> _layout.ClusterBits, cancellationToken).ConfigureAwait(false);
            if (l1.IsCopied != (refcount == 1))
            {
                state.Corruption($"ERROR OFLAG_COPIED L2 cluster: l1_index={i} l1_entry={_l1[i]:x} refcount={refcount}");
                l1Fixes.Add(i);
            }
        }

        foreach (var (_, _, entry) in copiedFixes)
        {
            ulong refcount = await _refcounts.GetAsync(entry.HostOffset >> _layout.ClusterBits, cancellationToken).ConfigureAwait(false);
            if (entry.IsCopied != (refcount == 1))
            {
                state.Corruption(string.Create(CultureInfo.InvariantCulture, $"ERROR OFLAG_COPIED data cluster: l2_entry={entry.Raw:x} refcount={refcount}"));
            }
        }

        if (repair == Qcow2RepairMode.All)
        {
            corruptionsFixed += await FixCopiedFlagsAsync(state, copiedFixes, l1Fixes, cancellationToken).ConfigureAwait(false);
        }

        if (repair != Qcow2RepairMode.None)
        {
            await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
        }

        if (repair == Qcow2RepairMode.All && IsDirty)
        {
            // Every refcount is exact and on disk now: the image is clean.
            _header = _header with { Incompatible = _header.Incompatible & ~IncompatibleFeatures.Dirty };
            await WriteHeaderAsync(cancellationToken).ConfigureAwait(false);
            await SyncMetadataAsync(cancellationToken).ConfigureAwait(false);
        }

        return new Qcow2CheckResult
        {
            Corruptions = state.Corruptions,
            Leaks = leaks,
            CorruptionsFixed = corruptionsFixed,
            LeaksFixed = leaksFixed,
            AllocatedClusters = state.AllocatedClusters,
            FragmentedClusters = state.FragmentedClusters,
            CompressedClusters = state.CompressedClusters,
            TotalClusters = (Length + _layout.ClusterSize - 1) >> _layout.ClusterBits,
            ImageEndOffset = lastUsed << _layout.ClusterBits,
            Messages = state.Messages,
        };

        async ValueTask CompareAsync(long c)
        {
            ulong stored = await _refcounts.GetAsync(c, cancellationToken).ConfigureAwait(false);
            ulong expected = state.Expected(c);
            if (stored != 0 || expected != 0)
            {
                lastUsed = Math.Max(lastUsed, c + 1);
            }

            if (stored == expected)
            {
                return;
            }

            bool leak = stored > expected;
            if (leak)
            {
                leaks++;
                state.Messages.Add(string.Create(CultureInfo.InvariantCulture, $"Leaked cluster {c} refcount={stored} reference={expected}"));
            }
            else
            {
                state.Corruption(string.Create(CultureInfo.InvariantCulture, $"ERROR cluster {c} refcount={stored} reference={expected}"));
            }

            if (repair == Qcow2RepairMode.All || (repair == Qcow2RepairMode.Leaks && leak))
            {
                await _refcounts.SetAsync(c, expected, cancellationToken).ConfigureAwait(false);
                if (leak)
                {
                    leaksFixed++;
                }
                else
                {
                    corruptionsFixed++;
                }
            }
        }
    }

    private async ValueTask<ulong[]> RefcountManagerTableAsync(CancellationToken cancellationToken)
    {
        await _refcounts.WriteTableAsync(cancellationToken).ConfigureAwait(false);
        return await RefcountManager.ReadTableAsync(_file, _refcounts.TableOffset, _refcounts.TableClusters, _layout.ClusterSize, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask CountActiveL1Async(CheckState state, List<(long, int, L2Entry)> copiedFixes, CancellationToken cancellationToken)
    {
        var l1 = _l1;
        // An L2 table serves one range of one L1 table: a table named twice by the same L1 is counted but walked once,
        // so a hostile L1 cannot make the check walk one table millions of times.
        var walked = new HashSet<long>();
        for (int i = 0; i < l1.Length; i++)
        {
            var l1Entry = new L1Entry(l1[i]);
            if (l1Entry.HasReservedBits)
            {
                state.Corruption($"ERROR found L1 entry with reserved bits set: {l1[i]:x}");
            }

            if (l1Entry.L2Offset == 0)
            {
                continue;
            }

            if (!state.Reference(l1Entry.L2Offset, _layout.ClusterSize, "L2 table"))
            {
                continue;
            }

            if (!walked.Add(l1Entry.L2Offset))
            {
                state.Corruption($"ERROR L2 table at offset 0x{l1Entry.L2Offset:x} is named twice by one L1 table (l1_index={i})");
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var table = await _l2Cache.GetAsync(l1Entry.L2Offset, cancellationToken).ConfigureAwait(false);
            long nextContiguous = 0;
            for (int j = 0; j < _layout.L2Entries; j++)
            {
                var entry = ReadEntry(table, j);
                if (CountL2Entry(state, entry, (l1Entry.L2Offset, j), copiedFixes))
                {
                    nextContiguous = state.CountActive(entry, HasHostData(entry), nextContiguous);
                }
            }
        }
    }

    /// <summary>
    /// Counts the L2 tables of a snapshot's L1 table, named by <paramref name="names"/> snapshots, and adds them to the
    /// tables whose entries are counted afterwards, each once with the number of snapshots that reach it.
    /// </summary>
    private void CollectSnapshotL2Tables(CheckState state, ulong[] l1, int names, Dictionary<long, int> l2Names)
    {
        var named = new HashSet<long>();
        for (int i = 0; i < l1.Length; i++)
        {
            var l1Entry = new L1Entry(l1[i]);
            if (l1Entry.HasReservedBits)
            {
                state.Corruption($"ERROR found L1 entry with reserved bits set: {l1[i]:x}");
            }

            if (l1Entry.L2Offset == 0 || !state.Reference(l1Entry.L2Offset, _layout.ClusterSize, "L2 table", names))
            {
                continue;
            }

            if (!named.Add(l1Entry.L2Offset))
            {
                state.Corruption($"ERROR L2 table at offset 0x{l1Entry.L2Offset:x} is named twice by one L1 table (l1_index={i})");
                continue;
            }

            l2Names[l1Entry.L2Offset] = l2Names.GetValueOrDefault(l1Entry.L2Offset) + names;
        }
    }

    /// <summary>
    /// Whether a standard entry maps host data (QEMU's NORMAL or ZERO_ALLOC). qcow2 spec, "Standard Cluster
    /// Descriptor": "If the offset is 0 and bit 63 is clear, the cluster is unallocated. The offset may only be 0
    /// with bit 63 set (indicating a host cluster offset of 0) when an external data file is used." Bit 0 with
    /// offset 0 (without extended L2) is a plain zero cluster, which has no host data either.
    /// </summary>
    private bool HasHostData(L2Entry entry) =>
        entry.HostOffset != 0
        || (_header.ExternalDataFile is not null && entry.IsCopied && !(entry.HasZeroFlag && !_layout.ExtendedL2));

    /// <summary>
    /// Counts the references of one L2 entry, <paramref name="names"/> times (the L1 tables that reach its table); false
    /// when the entry is invalid and counts for nothing else.
    /// </summary>
    private bool CountL2Entry(CheckState state, L2Entry entry, (long L2Offset, int Index)? active, List<(long, int, L2Entry)> copiedFixes, int names = 1)
    {
        if (entry.IsCompressed)
        {
            long offset = entry.CompressedOffset(_layout.ClusterBits);
            if (entry.IsCopied)
            {
                state.Corruption($"ERROR: compressed cluster with COPIED flag: {entry.Raw:x}");
            }

            if (_header.ExternalDataFile is not null)
            {
                // qcow2 spec, "External data file": compression is not supported with one.
                state.Corruption($"ERROR compressed cluster with data file, entry=0x{entry.Raw:x}");
                return false;
            }

            if (_layout.ExtendedL2 && entry.Bitmap != 0)
            {
                // qcow2 spec, "Subcluster Allocation Bitmap (for compressed clusters)": "Bit 0 - 63: Reserved (set to 0)".
                state.Corruption($"ERROR compressed cluster with non-zero subcluster allocation bitmap, entry=0x{entry.Raw:x}");
                return false;
            }

            state.Reference(offset & ~511L, entry.CompressedSectors(_layout.ClusterBits) * 512L, "compressed data", names);
            return true;
        }

        if (entry.HasReservedBits(_layout.ExtendedL2))
        {
            state.Corruption($"ERROR found l2 entry with reserved bits set: {entry.Raw:x}");
        }

        if (_layout.ExtendedL2 && ((entry.AllocatedSubclusters & entry.ZeroSubclusters) != 0 || (entry.HostOffset == 0 && entry.AllocatedSubclusters != 0)))
        {
            state.Corruption($"ERROR: invalid subcluster allocation bitmap {entry.Bitmap:x}");
        }

        if (entry.HostOffset == 0 || _header.ExternalDataFile is not null)
        {
            return true;
        }

        if (state.Reference(entry.HostOffset, _layout.ClusterSize, "data cluster", names) && active is { } at)
        {
            copiedFixes.Add((at.L2Offset, at.Index, entry));
        }

        return true;
    }

    private async ValueTask<int> FixCopiedFlagsAsync(CheckState state, List<(long L2Offset, int Index, L2Entry Entry)> candidates, List<int> l1Fixes, CancellationToken cancellationToken)
    {
        int fixedCount = 0;
        foreach (var (l2Offset, index, entry) in candidates)
        {
            bool shouldBeCopied = state.Expected(entry.HostOffset >> _layout.ClusterBits) == 1;
            if (entry.IsCopied == shouldBeCopied)
            {
                continue;
            }

            var table = await _l2Cache.GetAsync(l2Offset, cancellationToken).ConfigureAwait(false);
            ulong raw = shouldBeCopied ? entry.Raw | L2Entry.CopiedFlag : entry.Raw & ~L2Entry.CopiedFlag;
            BinaryPrimitives.WriteUInt64BigEndian(table.AsSpan(index * _layout.L2EntrySize), raw);
            _l2Cache.MarkDirty(l2Offset);
            fixedCount++;
        }

        foreach (int i in l1Fixes)
        {
            var l1 = new L1Entry(_l1[i]);
            _l1[i] = L1Entry.For(l1.L2Offset, state.Expected(l1.L2Offset >> _layout.ClusterBits) == 1).Raw;
            _l1Dirty = true;
            fixedCount++;
        }

        return fixedCount;
    }

    private async ValueTask CountBitmapsAsync(CheckState state, CancellationToken cancellationToken)
    {
        if (await ReadBitmapDirectoryAsync(_file, _header, cancellationToken).ConfigureAwait(false) is not { } read
            || !state.Reference(read.Offset, read.Directory.Length, "bitmap directory"))
        {
            return;
        }

        foreach (var bitmap in read.Bitmaps)
        {
            if (state.Reference(bitmap.TableOffset, bitmap.TableSize * 8L, "bitmap table"))
            {
                var table = new byte[bitmap.TableSize * 8L];
                await _file.ReadAsync(bitmap.TableOffset, table, cancellationToken).ConfigureAwait(false);
                for (int j = 0; j < bitmap.TableSize; j++)
                {
                    long data = (long)(BinaryPrimitives.ReadUInt64BigEndian(table.AsSpan(j * 8)) & L1Entry.OffsetMask);
                    if (data != 0)
                    {
                        state.Reference(data, _layout.ClusterSize, "bitmap data");
                    }
                }
            }
        }
    }
}
