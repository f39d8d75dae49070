using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Targetd.Iscsi.Targets;
using Targetd.Iscsi.Wire;

namespace Targetd.Iscsi.Server;

/// <summary>
/// One iSCSI connection (RFC 7143 §4.2.2.1): the read loop over its transport's pipe and the dispatch of each PDU, for
/// the login phase and then the full feature phase, where commands run concurrently and their responses leave through
/// the <see cref="PduWriter"/>. What outlives a PDU belongs to the <see cref="IscsiSession"/> (window, tasks, nexus),
/// the <see cref="DataOutAssembler"/> (bursts of write data) or the <see cref="KeepAlive"/> (timeouts). With
/// MaxConnections=1 and ErrorRecoveryLevel=0 the session ends with its connection.
/// </summary>
internal sealed partial class IscsiConnection : IAsyncDisposable
{
    private readonly ConnectionTransport _transport;
    private readonly PipeReader _reader;
    private readonly IscsiTargetRegistry _registry;
    private readonly ILogger _logger;
    private readonly PduFramer _framer = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly ConcurrentDictionary<long, Task> _background = new();
    private readonly LoginPhase _loginPhase;
    private readonly IscsiSession _session;
    private readonly PduWriter _writer;
    private readonly TaskManager _taskManager;
    private readonly IoBufferPool _pool;
    private readonly TimeProvider _time;
    private readonly KeepAlive _keepAlive;
    private DataOutAssembler? _dataOut;
    private long _nextBackground;
    private bool _fullFeature;

    public IscsiConnection(Socket socket, IscsiTargetRegistry registry, ILogger logger, ConnectionTimeouts? timeouts = null, TimeProvider? time = null)
        : this(new SocketTransport(socket), registry, logger, timeouts, time)
    {
    }

    public IscsiConnection(ConnectionTransport transport, IscsiTargetRegistry registry, ILogger logger, ConnectionTimeouts? timeouts = null, TimeProvider? time = null)
    {
        _transport = transport;
        _reader = transport.Pipe.Input;
        _registry = registry;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _keepAlive = new KeepAlive(timeouts ?? ConnectionTimeouts.None, _time);
        _pool = registry.BufferPool;
        _session = new IscsiSession(registry.Limits.QueueDepth, registry.Limits.SessionBufferBytes);
        _writer = new PduWriter(transport, _session, _keepAlive, _pool, DataInSent);
        _taskManager = new TaskManager(_session);
        _loginPhase = new LoginPhase(registry, _session.Window, _session.QueueDepth);
        Remote = transport.Remote;
        Local = transport.Local;
    }

    public EndPoint? Remote { get; }

    public EndPoint? Local { get; }

    /// <summary>What the login negotiated: initiator, target, parameters.</summary>
    private LoginNegotiation Login => _loginPhase.Negotiation;

    private SessionParameters Parameters => Login.Parameters;

    /// <summary>The session's tasks by Initiator Task Tag.</summary>
    private ConcurrentDictionary<uint, IscsiTask> Tasks => _session.Tasks;

    /// <summary>Ends the connection: reading stops, tasks are aborted.</summary>
    public void Close()
    {
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }
    }

    /// <summary>Serves the connection until the initiator logs out or disconnects, a protocol error, or cancellation.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var link = cancellationToken.Register(Close);
        var token = _closing.Token;
        _logger.ConnectionAccepted(Remote);
        StartWatch(token);
        try
        {
            await ReadLoopAsync(token).ConfigureAwait(false);
        }
        catch (IscsiProtocolException ex)
        {
            NoteCloseReason(IscsiSessionCloseReason.ProtocolError);
            _logger.ProtocolError(Remote, ex);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Closed by the portal, the registry or a reset.
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            _logger.ConnectionFailed(Remote, ex);
        }
        finally
        {
            await ShutdownAsync().ConfigureAwait(false);
            _logger.ConnectionClosed(Remote);
        }
    }

    /// <summary>
    /// Reads PDUs until the connection ends. Responses sent while a batch of received PDUs is handled stay in the
    /// pipe and leave in one socket write when the batch is done, before the loop waits for more data.
    /// </summary>
    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        bool running = true;
        while (running)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            _keepAlive.Received();
            var buffer = result.Buffer;
            _writer.BeginBatch();
            try
            {
                while (running && _framer.TryRead(ref buffer, out var pdu))
                {
                    using (pdu)
                    {
                        running = await HandleAsync(pdu!, cancellationToken).ConfigureAwait(false);
                    }
                }

                if (running && (result.IsCompleted || result.IsCanceled))
                {
                    if (!buffer.IsEmpty)
                    {
                        _logger.TruncatedPdu(Remote);
                    }

                    running = false;
                }
            }
            finally
            {
                _reader.AdvanceTo(buffer.Start, buffer.End);
            }

            await _writer.EndBatchAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Handles one PDU; false ends the connection.</summary>
    private async ValueTask<bool> HandleAsync(IscsiPdu pdu, CancellationToken cancellationToken)
    {
        if (!_fullFeature)
        {
            return await HandleLoginAsync(pdu, cancellationToken).ConfigureAwait(false);
        }

        if (!pdu.DataDigestValid)
        {
            // RFC 7143 §7.8: "When a target receives a PDU with a data digest error, it MUST answer with a Reject ... and discard the PDU."
            await RejectAsync(pdu, RejectReason.DataDigestError, cancellationToken).ConfigureAwait(false);
            return true;
        }

        switch (pdu.Opcode)
        {
            case IscsiOpcode.NopOut:
                await HandleNopOutAsync(pdu, cancellationToken).ConfigureAwait(false);
                return true;
            case IscsiOpcode.ScsiCommand when !Login.IsDiscovery:
                await HandleScsiCommandAsync(pdu, cancellationToken).ConfigureAwait(false);
                return true;
            case IscsiOpcode.DataOut when !Login.IsDiscovery:
                await HandleDataOutAsync(pdu, cancellationToken).ConfigureAwait(false);
                return true;
            case IscsiOpcode.TaskManagementRequest when !Login.IsDiscovery:
                HandleTaskManagement(pdu);
                return true;
            case IscsiOpcode.TextRequest:
                await HandleTextAsync(pdu, cancellationToken).ConfigureAwait(false);
                return true;
            case IscsiOpcode.LogoutRequest:
                await HandleLogoutAsync(pdu, cancellationToken).ConfigureAwait(false);
                return false;
            case IscsiOpcode.ScsiCommand or IscsiOpcode.DataOut or IscsiOpcode.TaskManagementRequest or IscsiOpcode.LoginRequest:
                // §6.3.1 / §4.2.1: only Text, NOP and Logout serve a discovery session; Login only before full feature phase.
                await RejectAsync(pdu, RejectReason.ProtocolError, cancellationToken).ConfigureAwait(false);
                return true;
            default:
                // §11.17.1: "Command not supported" for opcodes we do not implement, SNACK included at ErrorRecoveryLevel 0.
                await RejectAsync(pdu, RejectReason.CommandNotSupported, cancellationToken).ConfigureAwait(false);
                return true;
        }
    }

    /// <summary>
    /// Applies command numbering (RFC 7143 §4.2.2.1): a non-immediate command advances ExpCmdSN; one outside
    /// [ExpCmdSN, MaxCmdSN] is ignored. Returns whether to process the PDU.
    /// </summary>
    private bool AcceptCommandNumber(BasicHeaderSegment bhs)
    {
        if (_session.Window.Accept(bhs.CmdSN, bhs.IsImmediate))
        {
            return true;
        }

        _logger.CommandOutsideWindow(bhs.CmdSN, _session.Window.ExpCmdSN, _session.Window.MaxCmdSN);
        return false;
    }

    private async Task ShutdownAsync()
    {
        Close();
        foreach (var task in Tasks.Values)
        {
            task.TryAbort();
            await task.CancelAsync().ConfigureAwait(false);
            if (!task.IsStarted && Tasks.TryRemove(KeyValuePair.Create(task.InitiatorTaskTag, task)))
            {
                task.Dispose();
            }
        }

        try
        {
            await ExecutionsEndedAsync().ConfigureAwait(false);
            await Task.WhenAll(_background.Values).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.ConnectionFailed(Remote, ex);
        }

        _registry.Admission.Release(this);
        if (_session.IsRegistered)
        {
            _session.Unregister(_registry);
            RaiseSessionClosed();
        }

        try
        {
            await _reader.CompleteAsync().ConfigureAwait(false);
            await _transport.Pipe.Output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            _logger.ConnectionFailed(Remote, ex);
        }

        await _transport.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Releases what the connection holds; call after <see cref="RunAsync"/> has completed.</summary>
    public async ValueTask DisposeAsync()
    {
        await _transport.DisposeAsync().ConfigureAwait(false);
        _closing.Dispose();
        _writer.Dispose();
        _loginPhase.Dispose();
        await _text.DisposeAsync().ConfigureAwait(false);
    }
}
