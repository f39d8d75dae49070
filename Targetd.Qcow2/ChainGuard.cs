using Targetd.Qcow2.Interop;
using Targetd.Qcow2.Metadata;

namespace Targetd.Qcow2;

/// <summary>
/// Applies a <see cref="Qcow2ChainPolicy"/> to the files of one chain as they are opened: each is resolved, placed,
/// typed and identified before it is opened, and its open handle is checked to be that same file afterwards (so a
/// file renamed over it in between is refused too).
/// </summary>
internal sealed class ChainGuard(Qcow2ChainPolicy policy)
{
    private readonly HashSet<(ulong Device, ulong Inode)> _seen = [];
    private readonly HashSet<string> _seenPaths = new(StringComparer.Ordinal);

    public Qcow2ChainPolicy Policy => policy;

    /// <summary>Checks a file before it is opened.</summary>
    /// <param name="path">The path to open (a backing file name already taken relative to its image's folder).</param>
    /// <param name="name">The name as the image stores it, for messages.</param>
    /// <param name="role">What the file is in the chain.</param>
    /// <param name="referrer">The image that names it; null for the top image.</param>
    /// <param name="depth">Backing files above it (0 for the top image and its data file).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="Qcow2ChainException">The policy refuses it.</exception>
    public ChainFile Admit(string path, string name, ChainRole role, string? referrer, int depth)
    {
        string what = Describe(name, role, referrer);
        if (depth > policy.MaxDepth)
        {
            throw new Qcow2ChainException(name, $"{what}: the backing chain is deeper than {policy.MaxDepth} files");
        }

        string real = PosixFile.RealPath(path) ?? throw new FileNotFoundException($"{what} does not exist", path);
        if (!policy.Allows(real))
        {
            throw new Qcow2ChainException(name, $"{what} resolves to '{real}', outside the allowed folders ({string.Join(", ", policy.AllowedRoots!)})");
        }

        var status = PosixFile.Stat(real) ?? throw new FileNotFoundException($"{what} cannot be read", path);
        if (status.Kind != PosixFileKind.Regular && !(status.Kind == PosixFileKind.BlockDevice && policy.AllowBlockDevices))
        {
            throw new Qcow2ChainException(name, $"{what} is {KindName(status.Kind)}, not a regular file");
        }

        bool fresh = status.Device == 0 && status.Inode == 0 ? _seenPaths.Add(real) : _seen.Add((status.Device, status.Inode)) & _seenPaths.Add(real);
        if (!fresh)
        {
            throw new Qcow2ChainException(name, $"{what} is already in the chain ('{real}'): the chain is a loop");
        }

        return new ChainFile(real, status);
    }

    /// <summary>Checks that an opened file is the one admitted.</summary>
    /// <exception cref="Qcow2ChainException">It is another file (the path was changed in between).</exception>
    public static void Confirm(HostFile file, ChainFile admitted)
    {
        if (PosixFile.Stat(file.Handle) is not { } opened || opened != admitted.Status)
        {
            throw new Qcow2ChainException(file.Path, $"'{file.Path}' changed while it was being opened");
        }
    }

    private static string Describe(string name, ChainRole role, string? referrer) => role switch
    {
        ChainRole.BackingFile => $"backing file '{name}' of '{referrer}'",
        ChainRole.DataFile => $"external data file '{name}' of '{referrer}'",
        _ => $"image '{name}'",
    };

    private static string KindName(PosixFileKind kind) => kind switch
    {
        PosixFileKind.Directory => "a directory",
        PosixFileKind.BlockDevice => "a block device (not allowed here)",
        PosixFileKind.CharacterDevice => "a character device",
        PosixFileKind.Fifo => "a FIFO",
        PosixFileKind.Socket => "a socket",
        _ => "a special file",
    };
}
