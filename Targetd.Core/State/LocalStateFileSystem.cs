namespace Targetd.Core.State;

/// <summary>The local file system, through the BCL.</summary>
public sealed class LocalStateFileSystem : IStateFileSystem
{
    /// <summary>The one instance.</summary>
    public static LocalStateFileSystem Instance { get; } = new();

    /// <inheritdoc />
    public bool Exists(string path) => File.Exists(path);

    /// <inheritdoc />
    public string ReadAllText(string path) => File.ReadAllText(path);

    /// <inheritdoc />
    public Task<string> ReadAllTextAsync(string path, CancellationToken cancellationToken = default) =>
        File.ReadAllTextAsync(path, cancellationToken);

    /// <inheritdoc />
    public void CreateFolder(string folder) => Directory.CreateDirectory(folder);

    /// <inheritdoc />
    public async Task CreateNewAsync(string path, ReadOnlyMemory<byte> contents, CancellationToken cancellationToken = default)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var stream = new FileStream(path, options);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(contents, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void FlushFile(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
        RandomAccess.FlushToDisk(handle);
    }

    /// <inheritdoc />
    public void Move(string source, string destination) => File.Move(source, destination, overwrite: true);

    /// <inheritdoc />
    public void FlushFolder(string folder)
    {
        try
        {
            using var handle = File.OpenHandle(folder, FileMode.Open, FileAccess.Read);
            RandomAccess.FlushToDisk(handle);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Some file systems cannot flush a folder; the rename itself is still atomic.
        }
    }

    /// <inheritdoc />
    public void Delete(string path)
    {
        // File.Delete ignores a missing file but not a missing folder; neither is an error here.
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }
}
