namespace Targetd.Core.BlockDevices;

/// <summary>
/// An image is in use in a way that conflicts with the use asked for: another open file (in this process or
/// another, a daemon serving it or a VM running on it) holds or refuses the QEMU lock byte named by
/// <see cref="Permission"/>.
/// </summary>
public sealed class ImageInUseException : IOException
{
    /// <param name="path">The image.</param>
    /// <param name="permission">QEMU's name for the permission that could not be had ("write", "consistent read", …).</param>
    /// <param name="shared">
    /// Whether it is the sharing of the permission that failed (another file holds a permission this open refuses
    /// to share) rather than the permission itself (another file refuses to share it); QEMU words the two apart.
    /// </param>
    public ImageInUseException(string path, string permission, bool shared)
        : base($"Failed to get {(shared ? "shared " : string.Empty)}\"{permission}\" lock on '{path}': is another process using the image?")
    {
        ImagePath = path;
        Permission = permission;
        Shared = shared;
    }

    /// <summary>The image that is in use.</summary>
    public string ImagePath { get; }

    /// <summary>QEMU's name for the permission that could not be had.</summary>
    public string Permission { get; }

    /// <summary>Whether it is the sharing of <see cref="Permission"/> that failed (QEMU's "Failed to get shared … lock").</summary>
    public bool Shared { get; }
}
