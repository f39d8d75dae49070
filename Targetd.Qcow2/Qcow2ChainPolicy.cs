using Targetd.Qcow2.Interop;

namespace Targetd.Qcow2;

/// <summary>
/// What files an image's chain may reach. Every file of the chain (the image, its backing files and external data
/// files) is resolved (<c>..</c> and symbolic links, as realpath(3) does) and must lie in one of
/// <see cref="AllowedRoots"/> when they are given; it must be a regular file (or a block device when
/// <see cref="AllowBlockDevices"/>), which is checked before it is opened, so a FIFO or a socket never blocks the
/// open; a file already in the chain (the same device and inode) is a loop; and no image may have more than
/// <see cref="MaxDepth"/> backing files below it. A refusal is a <see cref="Qcow2ChainException"/> naming the file.
/// </summary>
/// <remarks>
/// The default, <see cref="Unconfined"/>, follows any path as qemu-img does but still refuses loops, FIFOs and
/// excessive depth. A service that opens images other people may write should confine them with
/// <see cref="Confined"/>: a backing file name is data inside the image, and <c>/etc/shadow</c> is a valid one.
/// </remarks>
public sealed record Qcow2ChainPolicy
{
    /// <summary>The default bound on backing files below an image: 16.</summary>
    public const int DefaultMaxDepth = 16;

    /// <summary>Any path; loops, FIFOs and chains deeper than <see cref="DefaultMaxDepth"/> refused.</summary>
    public static Qcow2ChainPolicy Unconfined { get; } = new();

    /// <summary>Folders every file of the chain must lie in after resolution; null allows any folder. Default: null.</summary>
    public IReadOnlyList<string>? AllowedRoots { get; init; }

    /// <summary>The most backing files an image may have below it. Default: <see cref="DefaultMaxDepth"/>.</summary>
    public int MaxDepth { get; init; } = DefaultMaxDepth;

    /// <summary>Whether a block device may be a file of the chain. Default: true.</summary>
    public bool AllowBlockDevices { get; init; } = true;

    /// <summary>A policy confining every file of a chain to <paramref name="roots"/>.</summary>
    /// <param name="roots">The allowed folders; they need not exist (a missing one admits nothing).</param>
    /// <param name="allowBlockDevices">Whether block devices (inside the roots) are admitted.</param>
    public static Qcow2ChainPolicy Confined(IEnumerable<string> roots, bool allowBlockDevices = false)
    {
        ArgumentNullException.ThrowIfNull(roots);
        return new Qcow2ChainPolicy { AllowedRoots = [.. roots], AllowBlockDevices = allowBlockDevices };
    }

    /// <summary>
    /// Checks one file as the top of a chain: inside the allowed folders and of an allowed type. Returns its canonical path.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="Qcow2ChainException">The policy refuses the file.</exception>
    public string Admit(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new ChainGuard(this).Admit(path, path, ChainRole.Image, null, 0).RealPath;
    }

    /// <summary>Whether a canonical path lies inside the allowed folders.</summary>
    internal bool Allows(string realPath)
    {
        if (AllowedRoots is null)
        {
            return true;
        }

        foreach (string root in AllowedRoots)
        {
            if (PosixFile.RealPath(Path.GetFullPath(root)) is not { } realRoot)
            {
                continue;
            }

            if (realRoot == "/" || realPath.StartsWith(realRoot.TrimEnd('/') + "/", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
