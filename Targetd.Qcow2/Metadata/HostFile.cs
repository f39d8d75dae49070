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
    private readonly IHostFileTap? _tap;

    private HostFile(SafeFileHandle handle, ImageFileLock? imageLock, string path, bool writable, IHostFileTap? tap)
    {
        _handle = handle;
        _imageLock = imageLock;
        _tap = tap;
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
    /// <param name="tap">Sees the writes and flushes (tests only; null in production).</param>
    /// <exception cref="ImageInUseException">Another open file uses it in a conflicting way.</exception>
    public static HostFile Open(string path, bool writable, bool createNew = false, bool lockImage = false, IHostFileTap? tap = null)
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
            return new HostFile(handle, imageLock, path, writable, tap);
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
        _tap is null ? RandomAccess.WriteAsync(_handle, source, offset, cancellationToken) : WriteTappedAsync(offset, source, cancellationToken);

    public Task FlushAsync(CancellationToken cancellationToken) =>
        _tap is null ? Task.Run(() => RandomAccess.FlushToDisk(_handle), cancellationToken) : FlushTappedAsync(cancellationToken);

    public void SetLength(long length)
    {
        RandomAccess.SetLength(_handle, length);
        _tap?.LengthSet(Path, length);
    }

    private async ValueTask WriteTappedAsync(long offset, ReadOnlyMemory<byte> source, CancellationToken cancellationToken)
    {
        await RandomAccess.WriteAsync(_handle, source, offset, cancellationToken).ConfigureAwait(false);
        _tap!.Wrote(Path, offset, source.Span);
    }

    private async Task FlushTappedAsync(CancellationToken cancellationToken)
    {
        _tap!.Flushing(Path);
        await Task.Run(() => RandomAccess.FlushToDisk(_handle), cancellationToken).ConfigureAwait(false);
        _tap.Flushed(Path);
    }

    public void Dispose()
    {
        _handle.Dispose();
        _imageLock?.Dispose();
    }
}
