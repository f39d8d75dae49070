namespace Targetd.Host.Socket;

/// <summary>What lstat says of a path: its type (the S_IFMT bits of its mode), owner and identity.</summary>
/// <param name="Type">The file type bits of st_mode.</param>
/// <param name="OwnerId">The owner's uid.</param>
/// <param name="Device">The device it lives on.</param>
/// <param name="Inode">Its inode.</param>
internal readonly record struct UnixFileStatus(uint Type, uint OwnerId, ulong Device, ulong Inode)
{
    public const uint SocketType = 0xC000;
    public const uint SymbolicLinkType = 0xA000;
    public const uint FolderType = 0x4000;

    public bool IsSocket => Type == SocketType;

    public bool IsSymbolicLink => Type == SymbolicLinkType;

    public bool IsFolder => Type == FolderType;

    /// <summary>Whether both name the same file.</summary>
    public bool IsSameFile(UnixFileStatus other) => Device == other.Device && Inode == other.Inode;
}
