using Microsoft.Win32.SafeHandles;
using Targetd.Core.Interop;

namespace Targetd.Core.BlockDevices;

/// <summary>
/// A block device over a regular file or a block special file, using positional I/O (pread/pwrite through
/// <see cref="RandomAccess"/>), so concurrent operations share no file position. A regular file is thin:
/// discard punches holes and the allocated extents come from SEEK_DATA/SEEK_HOLE.
/// </summary>
public sealed class FileBlockDevice : IBlockDevice
{
    private const int ZeroBufferSize = 1024 * 1024;

    /// <summary>Writes up to this size run on the calling thread where RWF_NOWAIT writes are not offered.</summary>
    private const int SmallWriteLimit = 64 * 1024;

    private readonly SafeFileHandle _handle;
    private readonly ImageFileLock? _imageLock;
    private readonly int _inlineIoLimit;

    private FileBlockDevice(SafeFileHandle handle, ImageFileLock? imageLock, long length, bool isThin, FileBlockDeviceOptions options)
    {
        _handle = handle;
        _imageLock = imageLock;
        Length = length;
        IsThin = isThin;
        IsReadOnly = options.ReadOnly;
        LogicalBlockSize = options.LogicalBlockSize;
        _inlineIoLimit = options.InlineIoLimit;
    }

    /// <summary>The path the device was opened from.</summary>
    public string Path { get; private init; } = string.Empty;

    /// <inheritdoc />
    public long Length { get; }

    /// <inheritdoc />
    public int LogicalBlockSize { get; }

    /// <inheritdoc />
    public bool IsReadOnly { get; }

    /// <inheritdoc />
    public bool IsThin { get; }

    /// <summary>Opens an existing file or block device.</summary>
    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="ArgumentException">The size is not a multiple of the block size.</exception>
    /// <exception cref="ImageInUseException">Another open file uses it in a conflicting way (with <see cref="FileBlockDeviceOptions.Lock"/>).</exception>
    public static FileBlockDevice Open(string path, FileBlockDeviceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new FileBlockDeviceOptions();
        BlockRange.ValidateBlockSize(options.LogicalBlockSize, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.InlineIoLimit, nameof(options));
        var access = options.ReadOnly ? FileAccess.Read : FileAccess.ReadWrite;
        var imageLock = options.Lock ? ImageFileLock.Acquire(path, writable: !options.ReadOnly) : null;
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, access, FileShare.ReadWrite, FileOptions.Asynchronous);
        }
        catch
        {
            imageLock?.Dispose();
            throw;
        }

        try
        {
            // A block special file has st_size 0 but seeks to its real end; a regular file agrees with itself.
            long statSize = RandomAccess.GetLength(handle);
            long length = LinuxFile.SizeOf(handle) ?? statSize;
            bool regular = length == statSize;
            if (length % options.LogicalBlockSize != 0)
            {
                throw new ArgumentException($"'{path}' is {length} bytes, not a multiple of the {options.LogicalBlockSize}-byte block size.", nameof(path));
            }

            return new FileBlockDevice(handle, imageLock, length, regular, options) { Path = path };
        }
        catch
        {
            handle.Dispose();
            imageLock?.Dispose();
            throw;
        }
    }

    /// <summary>Creates a sparse file of <paramref name="length"/> bytes (failing if it exists) and opens it.</summary>
    public static FileBlockDevice Create(string path, long length, FileBlockDeviceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        options ??= new FileBlockDeviceOptions();
        BlockRange.ValidateBlockSize(options.LogicalBlockSize, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.InlineIoLimit, nameof(options));
        if (length % options.LogicalBlockSize != 0)
        {
            throw new ArgumentException($"{length} bytes is not a multiple of the {options.LogicalBlockSize}-byte block size.", nameof(length));
        }

        using (var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
        {
            RandomAccess.SetLength(handle, length);
        }

        return Open(path, options with { ReadOnly = false });
    }

    /// <inheritdoc />
    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        BlockRange.Validate(this, offset, destination.Length);
        while (!destination.IsEmpty)
        {
            int read = destination.Length <= _inlineIoLimit ? LinuxFile.TryReadWithoutWaiting(_handle, destination.Span, offset) : -1;
            if (read < 0)
            {
                read = await RandomAccess.ReadAsync(_handle, destination, offset, cancellationToken).ConfigureAwait(false);
            }

            if (read == 0)
            {
                // The file shrank under us: what lies past its end reads as zeroes.
                destination.Span.Clear();
                return;
            }

            destination = destination[read..];
            offset += read;
        }
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        BlockRange.EnsureWritable(this);
        BlockRange.Validate(this, offset, source.Length);
        if (source.Length <= _inlineIoLimit)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int written = LinuxFile.TryWriteWithoutWaiting(_handle, source.Span, offset);
            if (written < 0 && !LinuxFile.NoWaitWritesSupported && source.Length <= SmallWriteLimit)
            {
                // Where buffered writes cannot be tried without waiting (ext4 among others), a small one is written
                // here all the same: it lands in the page cache, and a hop to the pool and back costs more.
                RandomAccess.Write(_handle, source.Span, offset);
                return ValueTask.CompletedTask;
            }

            if (written == source.Length)
            {
                return ValueTask.CompletedTask;
            }

            if (written > 0)
            {
                source = source[written..];
                offset += written;
            }
        }

        return RandomAccess.WriteAsync(_handle, source, offset, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (IsReadOnly)
        {
            return;
        }

        // fsync(2) has no asynchronous form: run it off the caller's thread.
        await Task.Run(() => RandomAccess.FlushToDisk(_handle), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken = default)
    {
        BlockRange.EnsureWritable(this);
        BlockRange.Validate(this, offset, length);
        cancellationToken.ThrowIfCancellationRequested();
        if (length == 0)
        {
            return;
        }

        if (IsThin && LinuxFile.TryAllocate(_handle, LinuxFile.PunchHole | LinuxFile.KeepSize, offset, length))
        {
            return;
        }

        await WriteZeroBuffersAsync(offset, length, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask WriteZeroesAsync(long offset, long length, CancellationToken cancellationToken = default)
    {
        BlockRange.EnsureWritable(this);
        BlockRange.Validate(this, offset, length);
        cancellationToken.ThrowIfCancellationRequested();
        if (length == 0)
        {
            return;
        }

        if (IsThin && LinuxFile.TryAllocate(_handle, LinuxFile.ZeroRange | LinuxFile.KeepSize, offset, length))
        {
            return;
        }

        await WriteZeroBuffersAsync(offset, length, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<BlockExtent>> GetAllocatedExtentsAsync(long offset, long length, CancellationToken cancellationToken = default)
    {
        BlockRange.Validate(this, offset, length);
        cancellationToken.ThrowIfCancellationRequested();
        var extents = new List<BlockExtent>();
        long end = offset + length;
        if (length == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<BlockExtent>>(extents);
        }

        if (!IsThin)
        {
            extents.Add(new BlockExtent(offset, length));
            return ValueTask.FromResult<IReadOnlyList<BlockExtent>>(extents);
        }

        long position = offset;
        while (position < end)
        {
            long? data = LinuxFile.SeekToData(_handle, position);
            if (data is null)
            {
                // No SEEK_DATA here: report everything as allocated, which is always safe.
                return ValueTask.FromResult<IReadOnlyList<BlockExtent>>([new BlockExtent(offset, length)]);
            }

            if (data < 0 || data >= end)
            {
                break;
            }

            long hole = LinuxFile.SeekToHole(_handle, data.Value) ?? end;
            long stop = Math.Min(hole < 0 ? end : hole, end);
            extents.Add(new BlockExtent(data.Value, stop - data.Value));
            position = stop;
        }

        return ValueTask.FromResult<IReadOnlyList<BlockExtent>>(extents);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _handle.Dispose();
        _imageLock?.Dispose();
        return ValueTask.CompletedTask;
    }

    private async ValueTask WriteZeroBuffersAsync(long offset, long length, CancellationToken cancellationToken)
    {
        var zeroes = new byte[(int)Math.Min(length, ZeroBufferSize)];
        while (length > 0)
        {
            int count = (int)Math.Min(length, zeroes.Length);
            await RandomAccess.WriteAsync(_handle, zeroes.AsMemory(0, count), offset, cancellationToken).ConfigureAwait(false);
            offset += count;
            length -= count;
        }
    }
}
