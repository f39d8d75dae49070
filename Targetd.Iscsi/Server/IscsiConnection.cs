using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Targetd.Iscsi.Targets;
using Targetd.Iscsi.Wire;

namespace Targetd.Iscsi.Server;

/// <summary>
/// One iSCSI connection, which is also its session (MaxConnections=1, ErrorRecoveryLevel=0): the login phase,
/// then the full feature phase with commands executed concurrently and responses serialized on one writer.
/// </summary>
internal sealed partial class IscsiConnection : IAsyncDisposable
{
    private static readonly byte[] Padding = new byte[4];

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly IscsiTargetRegistry _registry;
    private readonly ILogger _logger;
    private readonly PduFramer _framer = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    /// <summary>Data segments from this size on are sent from their own buffer rather than copied into the pipe.</summary>
    private const int DirectSendThreshold = 65536;
    private readonly CancellationTokenSource _closing = new();
    private readonly ConcurrentDictionary<uint, IscsiTask> _tasks = new();
    private readonly ConcurrentDictionary<long, Task> _background = new();
    private readonly LoginNegotiation _login;
    private long _nextBackground;
    private int _queuedSenders;
    private readonly List<ArraySegment<byte>> _gather = new(3);
    private bool _batchingResponses;
    private bool _fullFeature;
    private bool _sendHeaderDigest;
    private bool _sendDataDigest;
    private uint _statSN = 1;
    private uint _expCmdSN;
    private uint _maxCmdSN;
    private readonly BufferBudget _sessionBuffers;
    private ulong _sessionId;
    private string? _initiatorPort;
    private bool _registered;

    private readonly ConnectionTimeouts _timeouts;

    public IscsiConnection(Socket socket, IscsiTargetRegistry registry, ILogger logger, ConnectionTimeouts? timeouts = null)
    {
        _timeouts = timeouts ?? ConnectionTimeouts.None;
        _socket = socket;
        _socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 65536, leaveOpen: true, useZeroByteReads: true));
        _writer = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 65536, leaveOpen: true));
        _registry = registry;
        _sessionBuffers = new(registry.Limits.SessionBufferBytes);
        _logger = logger;
        _login = new LoginNegotiation(registry);
        Remote = socket.RemoteEndPoint;
        Local = socket.LocalEndPoint;
    }

    public EndPoint? Remote { get; }

    public EndPoint? Local { get; }

    private SessionParameters Parameters => _login.Parameters;

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
        RunInBackground(() => WatchAsync(token));
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
            MarkReceived();
            var buffer = result.Buffer;
            Volatile.Write(ref _batchingResponses, true);
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

            await EndBatchAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Ends a batch: sends what its responses left in the pipe; senders flush for themselves again.</summary>
    private async ValueTask EndBatchAsync(CancellationToken cancellationToken)
    {
        // The flag is cleared before the lock is taken: a sender that saw it set wrote under the lock and is flushed here.
        Volatile.Write(ref _batchingResponses, false);
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
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
            case IscsiOpcode.ScsiCommand when !_login.IsDiscovery:
                await HandleScsiCommandAsync(pdu, cancellationToken).ConfigureAwait(false);
                return true;
            case IscsiOpcode.DataOut when !_login.IsDiscovery:
                await HandleDataOutAsync(pdu, cancellationToken).ConfigureAwait(false);
                return true;
            case IscsiOpcode.TaskManagementRequest when !_login.IsDiscovery:
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
        if (bhs.IsImmediate)
        {
            return true;
        }

        uint cmdSN = bhs.CmdSN;
        uint expected = Volatile.Read(ref _expCmdSN);
        uint max = Volatile.Read(ref _maxCmdSN);
        if (!SerialNumber.InWindow(cmdSN, expected, max))
        {
            _logger.CommandOutsideWindow(cmdSN, expected, max);
            return false;
        }

        if (cmdSN == expected)
        {
            Volatile.Write(ref _expCmdSN, expected + 1);
        }

        return true;
    }

    /// <summary>How StatSN is carried by a PDU being sent.</summary>
    private enum StatusNumber
    {
        /// <summary>A status-bearing PDU: takes the next StatSN.</summary>
        Advance,

        /// <summary>An R2T: carries the current StatSN without consuming it.</summary>
        Current,

        /// <summary>The StatSN field is reserved (Data-In without the S bit).</summary>
        Reserved,
    }

    /// <summary>
    /// Sends one PDU: fills StatSN/ExpCmdSN/MaxCmdSN (bytes 24-35) under the send lock, so StatSN follows the
    /// order on the wire, then the header digest, data, padding and data digest. Returns the header to the pool.
    /// PDUs are buffered while other senders wait for the lock and flushed by the last of them, so responses that
    /// complete together leave in one socket write; a large data segment goes to the socket straight from its
    /// buffer instead of being copied into the pipe.
    /// </summary>
    private async ValueTask SendAsync(byte[] header, ReadOnlyMemory<byte> data, StatusNumber numbering, CancellationToken cancellationToken)
    {
        try
        {
            Interlocked.Increment(ref _queuedSenders);
            try
            {
                await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _queuedSenders);
            }

            try
            {
                if (data.Length >= DirectSendThreshold && !_sendDataDigest && MemoryMarshal.TryGetArray(data, out var segment))
                {
                    // What is buffered goes first; then header, data and padding leave in one gathered send.
                    int headerLength = PrepareHeader(header, numbering);
                    await FlushAsync(cancellationToken).ConfigureAwait(false);
                    await SendGatheredAsync(new ArraySegment<byte>(header, 0, headerLength), segment, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    WritePdu(header, data.Span, numbering);
                }

                // Whoever holds the lock next flushes what is buffered: the last sender in a burst writes them all,
                // or the read loop once it has handled the PDUs it received together (EndBatchAsync).
                if (Volatile.Read(ref _queuedSenders) == 0 && !Volatile.Read(ref _batchingResponses))
                {
                    await FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(header);
        }
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_writer.UnflushedBytes == 0)
        {
            return;
        }

        FlushResult flush;
        MarkSending(true);
        try
        {
            flush = await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            MarkSending(false);
        }

        if (flush.IsCompleted)
        {
            throw new IOException("The connection is closed.");
        }
    }

    private async ValueTask SendGatheredAsync(ArraySegment<byte> header, ArraySegment<byte> data, CancellationToken cancellationToken)
    {
        int padding = (4 - (data.Count & 3)) & 3;
        _gather.Clear();
        _gather.Add(header);
        _gather.Add(data);
        if (padding > 0)
        {
            _gather.Add(new ArraySegment<byte>(Padding, 0, padding));
        }

        // A stream socket's send of a buffer list completes once every byte is sent, or fails.
        int sent;
        MarkSending(true);
        try
        {
            sent = await _socket.SendAsync(_gather, SocketFlags.None).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            MarkSending(false);
        }

        if (sent != header.Count + data.Count + padding)
        {
            throw new IOException("The connection is closed.");
        }
    }

    /// <summary>
    /// Fills StatSN, ExpCmdSN and MaxCmdSN (bytes 24-35) and, when negotiated, the header digest after the 48 bytes;
    /// returns the length to send.
    /// </summary>
    private int PrepareHeader(byte[] header, StatusNumber numbering)
    {
        var bhs = header.AsSpan(0, BasicHeaderSegment.Size);
        switch (numbering)
        {
            case StatusNumber.Advance:
                BinaryPrimitives.WriteUInt32BigEndian(bhs[24..], _statSN++);
                break;
            case StatusNumber.Current:
                BinaryPrimitives.WriteUInt32BigEndian(bhs[24..], _statSN);
                break;
        }

        uint expected = Volatile.Read(ref _expCmdSN);
        BinaryPrimitives.WriteUInt32BigEndian(bhs[28..], expected);
        BinaryPrimitives.WriteUInt32BigEndian(bhs[32..], NextMaxCmdSN(expected));
        if (!_sendHeaderDigest)
        {
            return BasicHeaderSegment.Size;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(BasicHeaderSegment.Size, 4), Crc32C.Compute(bhs));
        return BasicHeaderSegment.Size + 4;
    }

    /// <summary>Writes a PDU into the pipe: header (and digest), data, padding and data digest.</summary>
    private void WritePdu(byte[] header, ReadOnlySpan<byte> data, StatusNumber numbering)
    {
        _writer.Write(header.AsSpan(0, PrepareHeader(header, numbering)));
        if (data.IsEmpty)
        {
            return;
        }

        _writer.Write(data);
        var padding = Padding.AsSpan(0, (4 - (data.Length & 3)) & 3);
        _writer.Write(padding);
        if (_sendDataDigest)
        {
            Span<byte> digest = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(digest, Crc32C.Compute(data, padding));
            _writer.Write(digest);
        }
    }

    /// <summary>
    /// MaxCmdSN: ExpCmdSN plus the free queue slots, minus one; never below what was advertised before, since
    /// "MaxCmdSN ... values lower than the current ... are ignored" by initiators (§4.2.2.1).
    /// </summary>
    private uint NextMaxCmdSN(uint expected)
    {
        int free = Math.Max(0, _registry.Limits.QueueDepth - _tasks.Count);
        uint candidate = expected + (uint)free - 1;
        uint max = SerialNumber.Max(Volatile.Read(ref _maxCmdSN), candidate);
        Volatile.Write(ref _maxCmdSN, max);
        return max;
    }

    /// <summary>Tells every unit of the target that this session's I_T nexus has gone; safe to repeat.</summary>
    private void ForgetNexusOnUnits()
    {
        if (_registered && _login.Target is { } target)
        {
            foreach (var unit in target.UnitsFor(_login.InitiatorName).Values)
            {
                unit.ForgetNexus(_sessionId);
            }
        }
    }

    private static byte[] RentHeader() => ArrayPool<byte>.Shared.Rent(BasicHeaderSegment.Size + 4); // room for the header digest

    private async Task ShutdownAsync()
    {
        Close();
        foreach (var task in _tasks.Values)
        {
            task.TryAbort();
            await task.Cancellation.CancelAsync().ConfigureAwait(false);
            if (!task.IsStarted && _tasks.TryRemove(task.InitiatorTaskTag, out _))
            {
                task.Dispose();
            }
        }

        try
        {
            await Task.WhenAll(_background.Values).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.ConnectionFailed(Remote, ex);
        }

        _registry.Admission.Release(this);
        if (_registered)
        {
            _registry.Unregister(_sessionId);
            ForgetNexusOnUnits();
            RaiseSessionClosed();
        }

        try
        {
            await _reader.CompleteAsync().ConfigureAwait(false);
            await _writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            _logger.ConnectionFailed(Remote, ex);
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Releases what the connection holds; call after <see cref="RunAsync"/> has completed.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _closing.Dispose();
        _sendLock.Dispose();
        await _loginText.DisposeAsync().ConfigureAwait(false);
        await _text.DisposeAsync().ConfigureAwait(false);
    }
}
