using Targetd.Storage.Interop;

namespace Targetd.Storage.Qcow2Target;

/// <summary>
/// Confines disk paths to the disks root: a path is taken relative to the root, or absolute within it, and is
/// refused when it (after <c>..</c> and every symbolic link are resolved) leads outside.
/// </summary>
public sealed class DiskPathResolver
{
    private readonly string _root;

    /// <summary>Creates a resolver for an existing disks root.</summary>
    /// <exception cref="DirectoryNotFoundException">The root does not exist.</exception>
    public DiskPathResolver(string disksRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(disksRoot);
        _root = LinuxPath.RealPath(Path.GetFullPath(disksRoot)) is { } real && Directory.Exists(real)
            ? real
            : throw new DirectoryNotFoundException($"The disks root '{disksRoot}' does not exist.");
    }

    /// <summary>The canonical disks root.</summary>
    public string Root => _root;

    /// <summary>The canonical path of a disk inside the root.</summary>
    /// <exception cref="Qcow2TargetException">The path is empty, missing or leads outside the root.</exception>
    public string Resolve(string diskPath)
    {
        if (string.IsNullOrWhiteSpace(diskPath) || diskPath.Contains('\0', StringComparison.Ordinal))
        {
            throw new Qcow2TargetException("disk_path must be a non-empty path");
        }

        string candidate = Path.GetFullPath(Path.IsPathRooted(diskPath) ? diskPath : Path.Combine(_root, diskPath));
        if (!IsInside(candidate))
        {
            throw Qcow2TargetErrors.OutsideDisksRoot(diskPath, _root);
        }

        string? real = LinuxPath.RealPath(candidate);
        if (real is null)
        {
            throw Qcow2TargetErrors.DiskMissing(candidate);
        }

        if (!IsInside(real))
        {
            throw Qcow2TargetErrors.OutsideDisksRoot(diskPath, _root);
        }

        return real;
    }

    private bool IsInside(string path) =>
        path.StartsWith(_root + "/", StringComparison.Ordinal) || (_root == "/" && path.Length > 1);
}
