using Targetd.Qcow2.Format;

namespace Targetd.Qcow2;

// Allocation map of the whole backing chain, as qemu-img map reports it.
public sealed partial class Qcow2Image
{
    /// <summary>The extents of the virtual disk, contiguous from 0 to <see cref="Length"/>, merged where alike.</summary>
    public async Task<IReadOnlyList<Qcow2MapExtent>> MapAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var extents = new List<Qcow2MapExtent>();
        await MapRangeAsync(extents, 0, Length, 0, cancellationToken).ConfigureAwait(false);
        return extents;
    }

    private async Task MapRangeAsync(List<Qcow2MapExtent> extents, long offset, long length, int depth, CancellationToken cancellationToken)
    {
        long end = offset + length;
        while (offset < end)
        {
            long guestCluster = _layout.GuestCluster(offset);
            int inCluster = _layout.OffsetInCluster(offset);
            long count = Math.Min(_layout.ClusterSize - inCluster, end - offset);
            var entry = await LookupAsync(guestCluster, cancellationToken).ConfigureAwait(false);
            if (entry.IsCompressed)
            {
                Add(extents, new Qcow2MapExtent(offset, count, depth, true, false, true, null));
                offset += count;
                continue;
            }

            for (long done = 0; done < count;)
            {
                int position = inCluster + (int)done;
                int subcluster = position / _layout.SubclusterSize;
                var kind = KindOf(entry, subcluster);
                long run = Math.Min(((subcluster + 1) * (long)_layout.SubclusterSize) - position, count - done);
                long at = offset + done;
                switch (kind)
                {
                    case RunKind.Data:
                        Add(extents, new Qcow2MapExtent(at, run, depth, true, false, true, entry.HostOffset + position));
                        break;
                    case RunKind.Zero:
                        Add(extents, new Qcow2MapExtent(at, run, depth, true, true, false, entry.HostOffset != 0 ? entry.HostOffset + position : null));
                        break;
                    default:
                        await MapBackingAsync(extents, at, run, depth, entry.HostOffset != 0 ? entry.HostOffset + position : null, cancellationToken).ConfigureAwait(false);
                        break;
                }

                done += run;
            }

            offset += count;
        }
    }

    private async Task MapBackingAsync(List<Qcow2MapExtent> extents, long offset, long length, int depth, long? hostOffset, CancellationToken cancellationToken)
    {
        long inBacking = _backing is null ? 0 : Math.Clamp(_backing.Length - offset, 0, length);
        if (_backing is Qcow2Image qcow2 && inBacking > 0)
        {
            await qcow2.MapRangeAsync(extents, offset, inBacking, depth + 1, cancellationToken).ConfigureAwait(false);
        }
        else if (inBacking > 0)
        {
            Add(extents, new Qcow2MapExtent(offset, inBacking, depth + 1, true, false, true, offset));
        }

        if (inBacking < length)
        {
            Add(extents, new Qcow2MapExtent(offset + inBacking, length - inBacking, depth, false, true, false, hostOffset + inBacking));
        }
    }

    private static void Add(List<Qcow2MapExtent> extents, Qcow2MapExtent extent)
    {
        if (extents.Count > 0)
        {
            var last = extents[^1];
            bool offsetsJoin = (last.Offset is null && extent.Offset is null) || last.Offset + last.Length == extent.Offset;
            if (last.Start + last.Length == extent.Start && last.Depth == extent.Depth && last.Present == extent.Present
                && last.Zero == extent.Zero && last.Data == extent.Data && offsetsJoin)
            {
                extents[^1] = last with { Length = last.Length + extent.Length };
                return;
            }
        }

        extents.Add(extent);
    }
}
