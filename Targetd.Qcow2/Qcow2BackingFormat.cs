namespace Targetd.Qcow2;

/// <summary>The format of a new image's backing file: <c>-F</c> (<c>backing_fmt</c>) of <c>qemu-img create</c>.</summary>
public enum Qcow2BackingFormat
{
    /// <summary>A qcow2 image, itself possibly with a backing file (<c>qcow2</c>).</summary>
    Qcow2,

    /// <summary>A raw file or block device (<c>raw</c>).</summary>
    Raw,
}
