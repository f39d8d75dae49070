using Microsoft.Win32.SafeHandles;
using Targetd.Core.BlockDevices;

namespace Targetd.Qcow2.Metadata;

/// <summary>
/// A file the engine reads and writes with positional I/O: the image itself, an external data file or a
/// raw backing file. Bytes past the end of the file read as zeroes.
/// </summary>
internal sealed class HostFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly ImageFileLock? _imageLock;

    private HostFile(SafeFileHandle handle, ImageFileLock? imageLock, string path, bool writable)
    {
        _handle = handle;
        _imageLock = imageLock;
        Path = path;
        IsWritable = writable;
    }

    public string Path { get; }

    public bool IsWritable { get; }

    public SafeFileHandle Handle => _handle;

    public long Length => RandomAccess.GetLength(_handle);

    /// <summary>Opens (or creates) a file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="writable">Open it for writing too.</param>
    /// <param name="createNew">Create it, failing when it exists.</param>
    /// <param name="lockImage">Hold QEMU's image locks on it for as long as it is open (<see cref="ImageFileLock"/>).</param>
    /// <exception cref="ImageInUseException">Another open file uses it in a conflicting way.</exception>
    public static HostFile Open(string path, bool writable, bool createNew = false, bool lockImage = false)
    {
        var mode = createNew ? FileMode.CreateNew : FileMode.Open;
        var access = writable ? FileAccess.ReadWrite : FileAccess.Read;
        var imageLock = lockImage && !createNew ? ImageFileLock.Acquire(path, writable) : null;
        try
        {
            // An existing file opens without waiting, so a FIFO put in its place cannot block the open.
            var handle = createNew
                ? File.OpenHandle(path, mode, access, FileShare.ReadWrite, FileOptions.Asynchronous)
                : NonBlockingOpen.Open(path, writable);
            return new HostFile(handle, imageLock, path, writable);
        }
        catch
        {
            imageLock?.Dispose();
            throw;
        }
    }

    /// <summary>Reads <paramref name="destination"/> fully; whatever lies past the end of the file reads as zeroes.</summary>
    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (!destination.IsEmpty)
        {
            int read = await RandomAccess.ReadAsync(_handle, destination, offset, cancellationToken).ConfigureAwait(false);
            if (read <= 0)
            {
                destination.Span.Clear();
                return;
            }

            destination = destination[read..];
            offset += read;
        }
    }

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, CancellationToken cancellationToken) =>
        RandomAccess.WriteAsync(_handle, source, offset, cancellationToken);

    public Task FlushAsync(CancellationToken cancellationToken) =>
        Task.Run(() => RandomAccess.FlushToDisk(_handle), cancellationToken);

    public void SetLength(long length) => RandomAccess.SetLength(_handle, length);

    public void Dispose()
    {
        _handle.Dispose();
        _imageLock?.Dispose();
    }
}
