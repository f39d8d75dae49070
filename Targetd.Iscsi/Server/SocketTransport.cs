using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Targetd.Iscsi.Server;

/// <summary>A connection's transport over a connected TCP socket.</summary>
internal sealed class SocketTransport : ConnectionTransport, IDuplexPipe
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private CancellationToken _abortToken;
    private CancellationTokenRegistration _abortRegistration;

    public SocketTransport(Socket socket)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 65536, leaveOpen: true, useZeroByteReads: true));
        Output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 65536, leaveOpen: true));
        Remote = socket.RemoteEndPoint;
        Local = socket.LocalEndPoint;
    }

    public override IDuplexPipe Pipe => this;

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public override EndPoint? Remote { get; }

    public override EndPoint? Local { get; }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask SendAsync(IReadOnlyList<ArraySegment<byte>> buffers, CancellationToken cancellationToken)
    {
        int total = 0;
        foreach (var buffer in buffers)
        {
            total += buffer.Count;
        }

        // The socket has no cancellable send of a buffer list: cancellation closes the socket, which ends the send,
        // and the send is always awaited to its end, so the buffers are never given back while the socket reads them.
        // Sends are serialized by the caller, so the registration needs no lock.
        AbortOn(cancellationToken);
        int sent;
        try
        {
            sent = await _socket.SendAsync(buffers as IList<ArraySegment<byte>> ?? [.. buffers], SocketFlags.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            throw new IOException("The connection is closed.", ex);
        }

        // A stream socket's send of a buffer list completes once every byte is sent, or fails.
        if (sent != total)
        {
            throw new IOException("The connection is closed.");
        }
    }

    public override void Abort() => _socket.Dispose();

    public override async ValueTask DisposeAsync()
    {
        _abortRegistration.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Closes the socket when <paramref name="cancellationToken"/> is cancelled. A connection sends with one token (its own
    /// end), so this registers once, not on every send.
    /// </summary>
    private void AbortOn(CancellationToken cancellationToken)
    {
        if (cancellationToken == _abortToken || !cancellationToken.CanBeCanceled)
        {
            return;
        }

        _abortRegistration.Dispose();
        _abortToken = cancellationToken;
        _abortRegistration = cancellationToken.UnsafeRegister(static state => ((SocketTransport)state!).Abort(), this);
    }
}
