namespace Targetd.Core.BlockDevices;

/// <summary>
/// A read-only, seekable <see cref="Stream"/> over the whole of an <see cref="IBlockDevice"/>, so that APIs taking a
/// stream (hashing, compression, copying to a file or a socket) can read a device's content from start to end.
/// </summary>
/// <example>
/// <code>
/// await using var stream = new BlockDeviceStream(image);
/// byte[] sha256 = await SHA256.HashDataAsync(stream);
/// </code>
/// </example>
public sealed class BlockDeviceStream : Stream
{
    private readonly IBlockDevice _device;
    private readonly bool _leaveOpen;
    private long _position;
    private bool _disposed;

    /// <summary>Creates a stream positioned at the start of the device.</summary>
    /// <param name="device">The device read.</param>
    /// <param name="leaveOpen">
    /// Whether the device stays open when the stream is disposed (the default); false disposes it with the stream.
    /// </param>
    public BlockDeviceStream(IBlockDevice device, bool leaveOpen = true)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        _leaveOpen = leaveOpen;
    }

    /// <inheritdoc />
    public override bool CanRead => !_disposed;

    /// <inheritdoc />
    public override bool CanSeek => !_disposed;

    /// <summary>Always false: the stream only reads.</summary>
    public override bool CanWrite => false;

    /// <summary>The device's capacity in bytes.</summary>
    public override long Length => _device.Length;

    /// <inheritdoc />
    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int count = (int)Math.Clamp(_device.Length - _position, 0, buffer.Length);
        if (count == 0)
        {
            return 0;
        }

        await _device.ReadAsync(_position, buffer[..count], cancellationToken).ConfigureAwait(false);
        _position += count;
        return count;
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Reads synchronously, by waiting for the device's asynchronous read; prefer the asynchronous reads.</summary>
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _device.Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return _position;
    }

    /// <summary>Does nothing: the stream only reads.</summary>
    public override void Flush()
    {
    }

    /// <summary>Not supported: the stream only reads.</summary>
    public override void SetLength(long value) => throw new NotSupportedException("A block device stream only reads.");

    /// <summary>Not supported: the stream only reads.</summary>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("A block device stream only reads.");

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (!_leaveOpen)
            {
                await _device.DisposeAsync().ConfigureAwait(false);
            }
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            if (!_leaveOpen)
            {
                _device.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }

        base.Dispose(disposing);
    }
}
