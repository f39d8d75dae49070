using Targetd.Storage.Errors;

namespace Targetd.Storage.Pools.Rbd;

/// <summary>
/// vol_copy inside the cluster: snapshot + protect, clone, flatten (the OSDs copy the parent's objects into
/// the clone), optional grow, then unprotect + remove the snapshot. No data passes through the gateway.
/// </summary>
internal static class RbdCopy
{
    /// <summary>The prefix of the short-lived snapshot a copy takes of its source.</summary>
    public const string SnapshotPrefix = "targetd-copy-";

    /// <summary>Runs the copy (blocking). Refusals (VolumeNotFound, VolumeExists, InvalidArgument) come before anything changes.</summary>
    public static int Run(IRbdPoolContext context, string pool, string source, string destination, long? size, long? requestedSize)
    {
        var images = context.ListImages();
        if (images.All(s => s.Name != source))
        {
            throw StorageErrors.VolumeNotFound(source, pool);
        }

        if (images.Any(s => s.Name == destination))
        {
            throw StorageErrors.VolumeExists();
        }

        using var origin = context.OpenImage(source, readOnly: false);
        if (requestedSize is { } requested && requested <= origin.GetSize())
        {
            throw StorageErrors.SizeNotLarger(requested, source, pool);
        }

        string snapshot = SnapshotPrefix + Guid.NewGuid().ToString("N");
        origin.CreateSnapshot(snapshot);
        try
        {
            origin.ProtectSnapshot(snapshot);
            try
            {
                context.Clone(source, snapshot, destination);
                try
                {
                    using var clone = context.OpenImage(destination, readOnly: false);
                    clone.Flatten();
                    if (size is { } larger)
                    {
                        clone.Resize(larger);
                    }
                }
                catch
                {
                    RemoveQuietly(context, destination);
                    throw;
                }
            }
            finally
            {
                UnprotectQuietly(origin, snapshot);
            }
        }
        finally
        {
            RemoveSnapshotQuietly(origin, snapshot);
        }

        return 0;
    }

    // Clean-up after a failure or after the copy: the copy's own error (if any) is the one to report.
    private static void RemoveQuietly(IRbdPoolContext context, string image)
    {
        try
        {
            context.RemoveImage(image);
        }
        catch (RbdException)
        {
        }
    }

    private static void UnprotectQuietly(IRbdImage image, string snapshot)
    {
        try
        {
            image.UnprotectSnapshot(snapshot);
        }
        catch (RbdException)
        {
        }
    }

    private static void RemoveSnapshotQuietly(IRbdImage image, string snapshot)
    {
        try
        {
            image.RemoveSnapshot(snapshot);
        }
        catch (RbdException)
        {
        }
    }
}
