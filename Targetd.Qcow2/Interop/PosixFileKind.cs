namespace Targetd.Qcow2.Interop;

/// <summary>The type of a file (the S_IFMT bits of its mode).</summary>
internal enum PosixFileKind
{
    Regular,
    Directory,
    BlockDevice,
    CharacterDevice,
    Fifo,
    Socket,
    SymbolicLink,
    Other,
}
