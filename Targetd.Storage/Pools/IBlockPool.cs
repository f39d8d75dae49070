using Targetd.Core.BlockDevices;

namespace Targetd.Storage.Pools;

/// <summary>
/// A pool of block volumes (an image directory, an LVM volume group or thin pool). Every refusal is a
/// <see cref="Errors.StorageException"/> of a <see cref="Errors.StorageErrorKind"/> with a message, and changes nothing.
/// </summary>
public interface IBlockPool
{
    /// <summary>The pool's name as clients see it (e.g. <c>vg</c>, <c>vg/thinpool</c>, or an image pool's name).</summary>
    string Name { get; }

    /// <summary>Capacity, free space and identity, as <c>pool_list</c> reports them.</summary>
    Task<BlockPoolInfo> GetInfoAsync(CancellationToken cancellationToken = default);

    /// <summary>The volumes, as <c>vol_list</c> reports them.</summary>
    Task<IReadOnlyList<BlockVolume>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates a volume of at least <paramref name="size"/> bytes (VolumeExists when the name is taken).</summary>
    Task CreateAsync(string name, long size, CancellationToken cancellationToken = default);

    /// <summary>Destroys a volume (VolumeNotFound when missing).</summary>
    Task DestroyAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Copies a volume, optionally to a larger size (VolumeNotFound, VolumeExists, InvalidArgument when the size is not larger).</summary>
    Task CopyAsync(string source, string destination, long? size, CancellationToken cancellationToken = default);

    /// <summary>Grows a volume (VolumeNotFound; InvalidArgument when the size is not larger).</summary>
    Task ResizeAsync(string name, long size, CancellationToken cancellationToken = default);

    /// <summary>Opens a volume as a block device for export (VolumeNotFound when missing).</summary>
    Task<IBlockDevice> OpenAsync(string name, CancellationToken cancellationToken = default);
}
