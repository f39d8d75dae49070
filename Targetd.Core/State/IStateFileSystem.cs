namespace Targetd.Core.State;

/// <summary>
/// The file operations small state files are kept with, each one system call's worth, so that what reaches the disk
/// and when is explicit: data written is durable only after <see cref="FlushFile"/>, and a name created, renamed or
/// removed only after <see cref="FlushFolder"/> of its folder.
/// </summary>
public interface IStateFileSystem
{
    /// <summary>Whether a file exists at <paramref name="path"/>.</summary>
    bool Exists(string path);

    /// <summary>The whole file as UTF-8 text, read at once (for state read while an object is made).</summary>
    string ReadAllText(string path);

    /// <summary>The whole file as UTF-8 text.</summary>
    Task<string> ReadAllTextAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Creates the folder (and its parents) when missing.</summary>
    void CreateFolder(string folder);

    /// <summary>Creates a new file, readable and writable by the owner only, holding <paramref name="contents"/> (not yet flushed).</summary>
    /// <exception cref="IOException">A file of that name exists.</exception>
    Task CreateNewAsync(string path, ReadOnlyMemory<byte> contents, CancellationToken cancellationToken = default);

    /// <summary>Makes a file's data durable (<c>fsync</c>).</summary>
    void FlushFile(string path);

    /// <summary>Renames <paramref name="source"/> over <paramref name="destination"/> (<c>rename(2)</c>, atomic).</summary>
    void Move(string source, string destination);

    /// <summary>Makes the names created, renamed and removed in a folder durable (<c>fsync</c> of the folder).</summary>
    void FlushFolder(string folder);

    /// <summary>Removes a file; a missing one is no error.</summary>
    void Delete(string path);
}
