using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Targets;
using Targetd.Iscsi.Wire;

namespace Targetd.Iscsi.Server;

/// <content>
/// How a connection ends: why (reported with <see cref="IscsiTargetRegistry.SessionClosed"/>), the session events,
/// and the drain of a stopping portal, during which commands already received finish and new ones are answered BUSY.
/// </content>
internal sealed partial class IscsiConnection
{
    /// <summary>How often a drain looks again for commands that registered while it was waiting.</summary>
    private static readonly TimeSpan DrainRecheck = TimeSpan.FromMilliseconds(50);

    /// <summary>0 until the first reason is known, then that reason + 1: the first reason given wins.</summary>
    private int _closeReason;
    private bool _draining;

    /// <summary>Ends the connection for a reason the session's close event reports.</summary>
    public void Close(IscsiSessionCloseReason reason)
    {
        NoteCloseReason(reason);
        Close();
    }

    /// <summary>
    /// Stops starting new commands (they are answered BUSY, SAM-5 §5.3.1: the initiator may send them again
    /// later) and waits until every command already received has completed and its response has been sent, the
    /// connection has closed, or <paramref name="cancellationToken"/> is cancelled (then it throws).
    /// </summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _draining, true);
        using var link = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        while (!Tasks.IsEmpty && !_closing.IsCancellationRequested)
        {
            // A command read just before the drain began may still be registering: look again shortly.
            var completions = Task.WhenAll(Tasks.Values.Select(t => t.Completion));
            await Task.WhenAny(completions, Task.Delay(DrainRecheck, link.Token)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Answers a command that arrives while the connection drains: BUSY, and the command is not started.</summary>
    private ValueTask RefuseWhileDrainingAsync(BasicHeaderSegment bhs, CancellationToken cancellationToken) =>
        SendBusyAsync(new IscsiTask(bhs.InitiatorTaskTag, bhs.Lun, ScsiDispatcher.DecodeLun(bhs.Lun), [], bhs.CmdSN, 0, false, false), cancellationToken);

    private ValueTask SendBusyAsync(IscsiTask refused, CancellationToken cancellationToken) =>
        SendStatusAsync(refused, ScsiStatus.Busy, cancellationToken);

    private ValueTask SendTaskSetFullAsync(IscsiTask refused, CancellationToken cancellationToken) =>
        SendStatusAsync(refused, ScsiStatus.TaskSetFull, cancellationToken);

    private async ValueTask SendStatusAsync(IscsiTask refused, ScsiStatus status, CancellationToken cancellationToken)
    {
        using (refused)
        {
            await SendResultAsync(refused, new ScsiResult(status, null, 0, 0), null, cancellationToken).ConfigureAwait(false);
        }
    }

    private void NoteCloseReason(IscsiSessionCloseReason reason) => Interlocked.CompareExchange(ref _closeReason, (int)reason + 1, 0);

    /// <summary>The first reason given; a connection that ended with none was lost (the initiator went away).</summary>
    private IscsiSessionCloseReason CloseReason =>
        Volatile.Read(ref _closeReason) is > 0 and var noted ? (IscsiSessionCloseReason)(noted - 1) : IscsiSessionCloseReason.ConnectionLost;

    private void RaiseSessionOpened(IscsiSessionInfo session)
    {
        RaiseSafely(() => _registry.RaiseSessionOpened(session));
    }

    private void RaiseSessionClosed()
    {
        if (_session.Info is { } session)
        {
            RaiseSafely(() => _registry.RaiseSessionClosed(session, CloseReason));
        }
    }

    /// <summary>Runs the handlers of a session event; a handler's failure must not end or stall the connection.</summary>
    private void RaiseSafely(Action raise)
    {
        try
        {
            raise();
        }
#pragma warning disable CA1031 // Any exception of a caller's handler is logged, never the connection's end.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.SessionEventHandlerFailed(ex);
        }
    }
}
