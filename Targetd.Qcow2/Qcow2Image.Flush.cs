using Targetd.Qcow2.Metadata;

namespace Targetd.Qcow2;

// Durability. Metadata is written back in QEMU's order so a crash at any point leaves a consistent image: guest
// data, then refcount blocks, then the refcount table, then L2 tables, then the L1 table and the header, each
// step made durable before the next; references are dropped only after that.
public sealed partial class Qcow2Image
{
    /// <inheritdoc />
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (IsReadOnly)
        {
            return;
        }

        // Guest data first, outside the metadata lock, so lookups for reads need not wait on it.
        Qcow2Metrics.Flushes.Add(1, new KeyValuePair<string, object?>("image", Path));
        await _dataFile.FlushAsync(cancellationToken).ConfigureAwait(false);
        await _meta.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _meta.Release();
        }
    }

    internal async ValueTask FlushLockedAsync(CancellationToken cancellationToken)
    {
        await SyncDataAndRefcountsAsync(cancellationToken).ConfigureAwait(false);
        if (await _l2Cache.WriteDirtyAsync(cancellationToken).ConfigureAwait(false) > 0 || _l2WrittenSinceSync)
        {
            await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
            _l2WrittenSinceSync = false;
        }

        bool wroteTop = false;
        if (_l1Dirty)
        {
            await WriteL1Async(cancellationToken).ConfigureAwait(false);
            wroteTop = true;
        }

        if (_headerDirty || _refcounts.TableMoved)
        {
            _header = _header with { RefcountTableOffset = _refcounts.TableOffset, RefcountTableClusters = _refcounts.TableClusters };
            await WriteHeaderAsync(cancellationToken).ConfigureAwait(false);
            _refcounts.HeaderUpdated();
            wroteTop = true;
        }

        if (wroteTop)
        {
            await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        // Everything that dropped a reference is durable now: the clusters may be released.
        _refcounts.MetadataIsDurable();
        if (await _refcounts.ApplyReadyReleasesAsync(cancellationToken).ConfigureAwait(false) > 0
            && await _refcounts.WriteBlocksAsync(cancellationToken).ConfigureAwait(false))
        {
            await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask SyncDataAndRefcountsAsync(CancellationToken cancellationToken)
    {
        if (_dataNeedsSyncBeforeMetadata)
        {
            // New mappings point at freshly written data: that data must be durable before they are.
            _dataNeedsSyncBeforeMetadata = false;
            await _dataFile.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_header.HasLazyRefcounts && !IsDirty && (_refcounts.HasDirtyBlocks || _refcounts.TableDirty || _l2Cache.HasDirty || _l1Dirty))
        {
            // Lazy refcounts: the image is marked dirty before its first metadata write and clean on close,
            // so refcount blocks need not reach the disk before the tables that use them.
            _header = _header with { Incompatible = _header.Incompatible | Format.IncompatibleFeatures.Dirty };
            await WriteHeaderAsync(cancellationToken).ConfigureAwait(false);
            await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        if (await _refcounts.WriteBlocksAsync(cancellationToken).ConfigureAwait(false) && !_header.HasLazyRefcounts)
        {
            await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        if (await _refcounts.WriteTableAsync(cancellationToken).ConfigureAwait(false))
        {
            await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Clean close: everything written back, then the dirty mark of lazy refcounts removed.</summary>
    private async ValueTask CloseCleanlyAsync()
    {
        await _meta.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await FlushLockedAsync(CancellationToken.None).ConfigureAwait(false);
            await StoreBitmapsLockedAsync(CancellationToken.None).ConfigureAwait(false);
            if (IsDirty)
            {
                _header = _header with { Incompatible = _header.Incompatible & ~Format.IncompatibleFeatures.Dirty };
                await WriteHeaderAsync(CancellationToken.None).ConfigureAwait(false);
                await _file.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            _meta.Release();
        }
    }

    /// <summary>Evicting a dirty L2 table: the data and refcounts it points at become durable first.</summary>
    private async ValueTask WriteBackL2Async(long offset, byte[] table, CancellationToken cancellationToken)
    {
        await SyncDataAndRefcountsAsync(cancellationToken).ConfigureAwait(false);
        await _file.WriteAsync(offset, table, cancellationToken).ConfigureAwait(false);
        _l2WrittenSinceSync = true;
    }

    private async ValueTask WriteL1Async(CancellationToken cancellationToken)
    {
        await _file.WriteAsync(_header.L1TableOffset, TableCodec.Encode(_l1), cancellationToken).ConfigureAwait(false);
        _l1Dirty = false;
    }

    internal async ValueTask WriteHeaderAsync(CancellationToken cancellationToken)
    {
        var bytes = new byte[_header.EncodedLength];
        _header.WriteTo(bytes);
        await _file.WriteAsync(0, bytes, cancellationToken).ConfigureAwait(false);
        _headerDirty = false;
    }
}
