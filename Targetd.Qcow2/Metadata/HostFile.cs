using Microsoft.Win32.SafeHandles;

namespace Targetd.Qcow2.Metadata;

/// <summary>
/// A file the engine reads and writes with positional I/O: the image itself, an external data file or a
/// raw backing file. Bytes past the end of the file read as zeroes.
/// </summary>
internal sealed class HostFile : IDisposable
{
    private readonly SafeFileHandle _handle;

    private HostFile(SafeFileHandle handle, string path, bool writable)
    {
        _handle = handle;
        Path = path;
        IsWritable = writable;
    }

    public string Path { get; }

    public bool IsWritable { get; }

    public SafeFileHandle Handle => _handle;

    public long Length => RandomAccess.GetLength(_handle);

    public static HostFile Open(string path, bool writable, bool createNew = false)
    {
        var mode = createNew ? FileMode.CreateNew : FileMode.Open;
        var access = writable ? FileAccess.ReadWrite : FileAccess.Read;
        var handle = File.OpenHandle(path, mode, access, FileShare.ReadWrite, FileOptions.Asynchronous);
        return new HostFile(handle, path, writable);
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

    public void Dispose() => _handle.Dispose();
}
