namespace Targetd.Qcow2.Interop;

/// <summary>What statx(2) says of a file: its type, and the device and inode that identify it.</summary>
internal readonly record struct FileStatus(PosixFileKind Kind, ulong Device, ulong Inode);
