using System.IO.Pipelines;
using System.Net;

namespace Targetd.Iscsi.Server;

/// <summary>
/// What a connection reads from and writes to: a duplex pipe, and a way to send buffers to the peer without copying
/// them into the pipe. A socket in service, an in-memory pipe pair in tests.
/// </summary>
internal abstract class ConnectionTransport : IAsyncDisposable
{
    /// <summary>The bytes from the initiator (Input) and to it (Output).</summary>
    public abstract IDuplexPipe Pipe { get; }

    public abstract EndPoint? Remote { get; }

    public abstract EndPoint? Local { get; }

    /// <summary>
    /// Sends <paramref name="buffers"/> in order, after whatever the caller has flushed through <see cref="Pipe"/>. The
    /// task completes only once the transport no longer touches the buffers, even when it is cancelled: the caller may
    /// then give them back to their pool. Cancellation aborts the transport (the connection is over).
    /// </summary>
    /// <exception cref="IOException">The peer has gone, or the send was cancelled.</exception>
    public abstract ValueTask SendAsync(IReadOnlyList<ArraySegment<byte>> buffers, CancellationToken cancellationToken);

    /// <summary>Ends the transport at once: pending reads and sends fail.</summary>
    public abstract void Abort();

    public abstract ValueTask DisposeAsync();
}
