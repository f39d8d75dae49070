using System.IO.Pipelines;
using System.Net;

namespace Targetd.Iscsi.Server;

/// <summary>
/// A connection's transport over two in-memory pipes, for sessions driven without a socket: the initiator writes
/// <see cref="ToTarget"/> and reads <see cref="FromTarget"/>. A gathered send is written into the outgoing pipe, so it
/// waits, like a socket's, while the initiator does not read.
/// </summary>
internal sealed class PipeTransport : ConnectionTransport, IDuplexPipe
{
    private readonly Pipe _toTarget;
    private readonly Pipe _fromTarget;

    /// <param name="pauseWriterThreshold">How many unread bytes the target may have sent before its sends wait.</param>
    public PipeTransport(long pauseWriterThreshold = 1 << 20)
    {
        _toTarget = new Pipe(new PipeOptions(useSynchronizationContext: false));
        _fromTarget = new Pipe(new PipeOptions(pauseWriterThreshold: pauseWriterThreshold, resumeWriterThreshold: pauseWriterThreshold / 2, useSynchronizationContext: false));
    }

    public override IDuplexPipe Pipe => this;

    public PipeReader Input => _toTarget.Reader;

    public PipeWriter Output => _fromTarget.Writer;

    /// <summary>Where the initiator writes.</summary>
    public PipeWriter ToTarget => _toTarget.Writer;

    /// <summary>Where the initiator reads.</summary>
    public PipeReader FromTarget => _fromTarget.Reader;

    public override EndPoint? Remote { get; } = new IPEndPoint(IPAddress.Loopback, 50000);

    public override EndPoint? Local { get; } = new IPEndPoint(IPAddress.Loopback, 3260);

    public override async ValueTask SendAsync(IReadOnlyList<ArraySegment<byte>> buffers, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var buffer in buffers)
            {
                await Output.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException ex)
        {
            Abort();
            throw new IOException("The connection is closed.", ex);
        }
    }

    public override void Abort()
    {
        var closed = new IOException("The connection is closed.");
        _toTarget.Reader.CancelPendingRead();
        _fromTarget.Writer.CancelPendingFlush();
        _fromTarget.Writer.Complete(closed);
        _toTarget.Writer.Complete(closed);
    }

    public override ValueTask DisposeAsync()
    {
        _fromTarget.Writer.Complete();
        _toTarget.Reader.Complete();
        return ValueTask.CompletedTask;
    }
}
