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
        _metadataUnsynced |= await _l2Cache.WriteDirtyAsync(cancellationToken).ConfigureAwait(false) > 0;
        await SyncMetadataAsync(cancellationToken).ConfigureAwait(false);
        if (_l1Dirty)
        {
            await WriteL1Async(cancellationToken).ConfigureAwait(false);
        }

        if (_headerDirty || _refcounts.TableMoved)
        {
            _header = _header with { RefcountTableOffset = _refcounts.TableOffset, RefcountTableClusters = _refcounts.TableClusters };
            await WriteHeaderAsync(cancellationToken).ConfigureAwait(false);
            _refcounts.HeaderUpdated();
        }

        await SyncMetadataAsync(cancellationToken).ConfigureAwait(false);

        // Everything that dropped a reference is durable now: the clusters may be released.
        _refcounts.MetadataIsDurable();
        if (await _refcounts.ApplyReadyReleasesAsync(cancellationToken).ConfigureAwait(false) > 0)
        {
            _metadataUnsynced |= await _refcounts.WriteBlocksAsync(cancellationToken).ConfigureAwait(false);
            _refcountsUnsynced |= _metadataUnsynced;
            await SyncMetadataAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // Each flag below is cleared only once the fsync it stands for has succeeded: after a failed one, the next
    // flush or write-back syncs again before writing anything that depends on it.
    private async ValueTask SyncDataAndRefcountsAsync(CancellationToken cancellationToken)
    {
        if (_dataNeedsSyncBeforeMetadata)
        {
            // New mappings point at freshly written data: that data must be durable before they are. The flag is
            // set under the metadata lock, held here, so no mapping made during the fsync is lost by clearing it.
            await _dataFile.FlushAsync(cancellationToken).ConfigureAwait(false);
            _dataNeedsSyncBeforeMetadata = false;
        }

        if (_header.HasLazyRefcounts && !_dirtyMarkDurable && (_refcounts.HasDirtyBlocks || _refcounts.TableDirty || _l2Cache.HasDirty || _l1Dirty))
        {
            // Lazy refcounts: the image is marked dirty before its first metadata write and clean on close,
            // so refcount blocks need not reach the disk before the tables that use them.
            if (!IsDirty)
            {
                _header = _header with { Incompatible = _header.Incompatible | Format.IncompatibleFeatures.Dirty };
                await WriteHeaderAsync(cancellationToken).ConfigureAwait(false);
            }

            await SyncMetadataAsync(cancellationToken).ConfigureAwait(false);
            _dirtyMarkDurable = true;
        }

        if (await _refcounts.WriteBlocksAsync(cancellationToken).ConfigureAwait(false))
        {
            _metadataUnsynced = _refcountsUnsynced = true;
        }

        if (_refcountsUnsynced && !_header.HasLazyRefcounts)
        {
            await SyncMetadataAsync(cancellationToken).ConfigureAwait(false);
        }

        if (await _refcounts.WriteTableAsync(cancellationToken).ConfigureAwait(false))
        {
            _metadataUnsynced = _refcountsUnsynced = true;
            await SyncMetadataAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Makes the metadata written so far durable, if any was written since the last successful fsync.</summary>
    private async ValueTask SyncMetadataAsync(CancellationToken cancellationToken)
    {
        if (_metadataUnsynced)
        {
            await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
            _metadataUnsynced = _refcountsUnsynced = false;
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
                _dirtyMarkDurable = false;
                _header = _header with { Incompatible = _header.Incompatible & ~Format.IncompatibleFeatures.Dirty };
                await WriteHeaderAsync(CancellationToken.None).ConfigureAwait(false);
                await SyncMetadataAsync(CancellationToken.None).ConfigureAwait(false);
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
        _metadataUnsynced = true;
    }

    private async ValueTask WriteL1Async(CancellationToken cancellationToken)
    {
        await _file.WriteAsync(_header.L1TableOffset, TableCodec.Encode(_l1), cancellationToken).ConfigureAwait(false);
        _metadataUnsynced = true;
        _l1Dirty = false;
    }

    internal async ValueTask WriteHeaderAsync(CancellationToken cancellationToken)
    {
        var bytes = new byte[_header.EncodedLength];
        _header.WriteTo(bytes);
        await _file.WriteAsync(0, bytes, cancellationToken).ConfigureAwait(false);
        _metadataUnsynced = true;
        _headerDirty = false;
    }
}
