namespace Targetd.Core.State;

/// <summary>
/// Replaces a small file so that a crash or a power cut at any moment leaves the old contents or the new, never a mix
/// or nothing, and so that the new contents are durable when <see cref="ReplaceAsync"/> returns: written to a new
/// file beside it, that file flushed, renamed over the old one, and the folder flushed.
/// </summary>
public static class DurableFile
{
    /// <summary>Replaces <paramref name="path"/> with <paramref name="contents"/> through <paramref name="temporary"/>, a name in the same folder.</summary>
    public static async Task ReplaceAsync(IStateFileSystem files, string path, string temporary, ReadOnlyMemory<byte> contents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        files.CreateFolder(folder);
        try
        {
            await files.CreateNewAsync(temporary, contents, cancellationToken).ConfigureAwait(false);

            // The data first: a rename that reaches the disk before the data would leave an empty or torn file.
            files.FlushFile(temporary);
            files.Move(temporary, path);
        }
        catch
        {
            files.Delete(temporary);
            throw;
        }

        // Then the rename: until the folder is flushed, a power cut may bring the old file back.
        files.FlushFolder(folder);
    }
}
