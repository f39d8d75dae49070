using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;

namespace Targetd.Iscsi.Server;

/// <summary>
/// Sends a connection's PDUs: one sender at a time under the send lock, so that StatSN follows the order on the wire
/// (RFC 7143 §4.2.2.2); fills StatSN, ExpCmdSN and MaxCmdSN, the header digest, padding and the data digest (§11.2,
/// §13.1). PDUs are buffered while other senders wait and flushed by the last of them, or by the read loop at the end
/// of a batch, so responses that complete together leave in one socket write; a large data segment goes to the
/// transport straight from its buffer instead of being copied into the pipe. Every header passed in is given back to
/// the pool once sent (or not). Data-In sequences may also be posted rather than awaited: they queue up, and one
/// drain sends them in order, several in one gathered send, so a command that waits its turn holds no suspended call.
/// </summary>
internal sealed class PduWriter : IDisposable
{
    private static readonly byte[] Padding = new byte[4];

    /// <summary>Data segments from this size on are sent from their own buffer rather than copied into the pipe.</summary>
    public const int DirectSendThreshold = 65536;

    /// <summary>Posted sequences share a gathered send up to this much data...</summary>
    private const int MaxBatchBytes = 1 << 18;

    /// <summary>...and this many buffers, well below what one socket send takes (IOV_MAX).</summary>
    private const int MaxBatchSegments = 512;

    private readonly ConnectionTransport _transport;
    private readonly PipeWriter _output;
    private readonly IscsiSession _session;
    private readonly KeepAlive _keepAlive;
    private readonly IoBufferPool _pool;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly List<ArraySegment<byte>> _gather = new(3);
    private readonly Queue<PostedSequence> _posted = new();
    private readonly List<PostedSequence> _sending = [];
    private readonly Action<PostedSequence, Exception?> _sent;
    private bool _drainRunning;
    private int _queuedSenders;
    private bool _batching;
    private bool _headerDigest;
    private bool _dataDigest;
    private uint _statSN = 1;

    /// <param name="transport">Where the PDUs go.</param>
    /// <param name="session">The session whose command window every PDU advertises.</param>
    /// <param name="keepAlive">Told when sends start and end.</param>
    /// <param name="pool">Where headers come from and go back to.</param>
    /// <param name="sent">
    /// Called once for each posted sequence, when it has been sent or could not be (with the exception); its headers have
    /// then been given back to the pool, and its PDU array and buffer are the caller's again.
    /// </param>
    public PduWriter(ConnectionTransport transport, IscsiSession session, KeepAlive keepAlive, IoBufferPool pool, Action<PostedSequence, Exception?> sent)
    {
        _sent = sent;
        _transport = transport;
        _output = transport.Pipe.Output;
        _session = session;
        _keepAlive = keepAlive;
        _pool = pool;
    }

    /// <summary>Whether data digests are sent: a digest is computed over the data, so it is never sent from its own buffer.</summary>
    public bool DataDigest => _dataDigest;

    /// <summary>A header buffer from the pool, with room for the header digest.</summary>
    public byte[] RentHeader() => _pool.Rent(BasicHeaderSegment.Size + 4);

    /// <summary>§13.1: digests apply from the first PDU after the final Login Response, in both directions.</summary>
    public void UseDigests(bool header, bool data)
    {
        _headerDigest = header;
        _dataDigest = data;
    }

    /// <summary>A batch of received PDUs is being handled: their responses stay buffered until <see cref="EndBatchAsync"/>.</summary>
    public void BeginBatch() => Volatile.Write(ref _batching, true);

    /// <summary>Ends a batch: sends what its responses left in the pipe; senders flush for themselves again.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask EndBatchAsync(CancellationToken cancellationToken)
    {
        // The flag is cleared before the lock is taken: a sender that saw it set wrote under the lock and is flushed here.
        Volatile.Write(ref _batching, false);
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

    /// <summary>Sends one PDU: <paramref name="header"/> (the 48-byte BHS, numbered here) and its data segment.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(byte[] header, ReadOnlyMemory<byte> data, StatusNumbering numbering, CancellationToken cancellationToken)
    {
        try
        {
            await LockAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (data.Length >= DirectSendThreshold && !_dataDigest && MemoryMarshal.TryGetArray(data, out var segment))
                {
                    // What is buffered goes first; then header, data and padding leave in one gathered send.
                    _gather.Clear();
                    _gather.Add(new ArraySegment<byte>(header, 0, Number(header, numbering)));
                    AddData(segment);
                    await FlushAsync(cancellationToken).ConfigureAwait(false);
                    _keepAlive.SendStarted();
                    try
                    {
                        await _transport.SendAsync(_gather, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        SendGatheredEnded();
                    }
                }
                else
                {
                    Write(header, data.Span, numbering);
                }

                await FlushUnlessOthersFollowAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _sendLock.Release();
            }
        }
        finally
        {
            _pool.Return(header);
        }
    }

    /// <summary>
    /// Sends PDUs that belong together (the Data-In of one command) in one gathered send, each numbered under the send
    /// lock like any other PDU; what is buffered in the pipe leaves first. Data digests must be off.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendSequenceAsync(ArraySegment<OutgoingPdu> pdus, CancellationToken cancellationToken)
    {
        try
        {
            await LockAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                _gather.Clear();
                foreach (var pdu in pdus)
                {
                    _gather.Add(new ArraySegment<byte>(pdu.Header, 0, Number(pdu.Header, pdu.Numbering)));
                    AddData(pdu.Data);
                }

                await FlushAsync(cancellationToken).ConfigureAwait(false);
                _keepAlive.SendStarted();
                try
                {
                    await _transport.SendAsync(_gather, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    SendGatheredEnded();
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }
        finally
        {
            foreach (var pdu in pdus)
            {
                _pool.Return(pdu.Header);
            }
        }
    }

    /// <summary>
    /// Queues a command's Data-In (data digests off) to be sent after everything sent or posted before it, and returns at
    /// once. The post that finds no drain running starts one; the callback given at construction reports each sequence's end.
    /// </summary>
    public void Post(PostedSequence sequence, CancellationToken cancellationToken)
    {
        lock (_posted)
        {
            _posted.Enqueue(sequence);
            if (_drainRunning)
            {
                return;
            }

            _drainRunning = true;
        }

        _ = DrainAsync(cancellationToken);
    }

    public void Dispose() => _sendLock.Dispose();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask LockAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _queuedSenders);
        try
        {
            // The wait itself is not cancellable, so that a sender queued behind another costs no cancellation
            // registration; the holder's own waits (flush, gathered send) end when the connection closes, so no waiter is
            // left behind, and one that gets the lock after cancellation gives it back at once.
            await _sendLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                _sendLock.Release();
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _queuedSenders);
        }
    }

    /// <summary>
    /// Sends what is posted, in order and several sequences to a gathered send, under the send lock until the queue is
    /// empty. Each batch is reported once the transport is done with it; the last only after the lock is given back,
    /// since its report may let the connection end and dispose the writer. A failure reports the rest unsent.
    /// </summary>
    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Exception? failure = null;
            bool locked = false;
            try
            {
                await LockAsync(cancellationToken).ConfigureAwait(false);
                locked = true;
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            while (true)
            {
                TakeBatch();
                if (failure is null)
                {
                    try
                    {
                        await SendBatchAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        failure = ex;
                    }
                }

                bool more;
                lock (_posted)
                {
                    more = _posted.Count > 0;
                }

                if (!more)
                {
                    break;
                }

                ReportBatch(failure);
            }

            if (locked)
            {
                _sendLock.Release();
            }

            ReportBatch(failure);
            lock (_posted)
            {
                // Posts that came meanwhile found the drain running: they are sent by another round.
                if (_posted.Count == 0)
                {
                    _drainRunning = false;
                    return;
                }
            }
        }
    }

    /// <summary>Moves posted sequences to <see cref="_sending"/>: at least one, and more while one send may carry them.</summary>
    private void TakeBatch()
    {
        int segments = 0;
        long bytes = 0;
        lock (_posted)
        {
            while (_posted.TryPeek(out var next))
            {
                long nextBytes = 0;
                foreach (var pdu in next.Pdus)
                {
                    nextBytes += pdu.Data.Count;
                }

                segments += 3 * next.Pdus.Count;
                bytes += nextBytes;
                if (_sending.Count > 0 && (segments > MaxBatchSegments || bytes > MaxBatchBytes))
                {
                    return;
                }

                _sending.Add(_posted.Dequeue());
            }
        }
    }

    /// <summary>Sends the PDUs of <see cref="_sending"/>, numbered in order, after what is buffered in the pipe.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendBatchAsync(CancellationToken cancellationToken)
    {
        _gather.Clear();
        foreach (var sequence in _sending)
        {
            foreach (var pdu in sequence.Pdus)
            {
                _gather.Add(new ArraySegment<byte>(pdu.Header, 0, Number(pdu.Header, pdu.Numbering)));
                AddData(pdu.Data);
            }
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
        _keepAlive.SendStarted();
        try
        {
            await _transport.SendAsync(_gather, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            SendGatheredEnded();
        }
    }

    /// <summary>Gives back the headers of the sequences in <see cref="_sending"/> and reports each of them.</summary>
    private void ReportBatch(Exception? failure)
    {
        foreach (var sequence in _sending)
        {
            foreach (var pdu in sequence.Pdus)
            {
                _pool.Return(pdu.Header);
            }

            _sent(sequence, failure);
        }

        _sending.Clear();
    }

    /// <summary>
    /// Whoever holds the lock next flushes what is buffered: the last sender in a burst writes them all, or the read
    /// loop once it has handled the PDUs it received together.
    /// </summary>
    private ValueTask FlushUnlessOthersFollowAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _queuedSenders) == 0 && !Volatile.Read(ref _batching) ? FlushAsync(cancellationToken) : ValueTask.CompletedTask;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_output.UnflushedBytes == 0)
        {
            return;
        }

        FlushResult flush;
        _keepAlive.SendStarted();
        try
        {
            flush = await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _keepAlive.SendEnded();
        }

        if (flush.IsCompleted)
        {
            throw new IOException("The connection is closed.");
        }
    }

    private void AddData(ArraySegment<byte> data)
    {
        _gather.Add(data);
        int padding = PaddingOf(data.Count);
        if (padding > 0)
        {
            _gather.Add(new ArraySegment<byte>(Padding, 0, padding));
        }
    }

    /// <summary>A send of what <see cref="_gather"/> lists has ended: its buffers are no longer the transport's.</summary>
    private void SendGatheredEnded()
    {
        _keepAlive.SendEnded();
        _gather.Clear();
    }

    /// <summary>
    /// Fills StatSN, ExpCmdSN and MaxCmdSN (bytes 24-35) and, when negotiated, the header digest after the 48 bytes;
    /// returns the length to send.
    /// </summary>
    private int Number(byte[] header, StatusNumbering numbering)
    {
        var bhs = header.AsSpan(0, BasicHeaderSegment.Size);
        switch (numbering)
        {
            case StatusNumbering.Advance:
                PduFields.SetUInt32(bhs, PduFields.StatSNAt, _statSN++);
                break;
            case StatusNumbering.Current:
                PduFields.SetUInt32(bhs, PduFields.StatSNAt, _statSN);
                break;
        }

        // Every target PDU carries ExpCmdSN and MaxCmdSN at the same place (§11.2.1, §4.2.2.1).
        var (expCmdSN, maxCmdSN) = _session.AdvertiseWindow();
        PduFields.SetUInt32(bhs, PduFields.ExpCmdSNAt, expCmdSN);
        PduFields.SetUInt32(bhs, PduFields.MaxCmdSNAt, maxCmdSN);
        if (!_headerDigest)
        {
            return BasicHeaderSegment.Size;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(BasicHeaderSegment.Size, 4), Crc32C.Compute(bhs));
        return BasicHeaderSegment.Size + 4;
    }

    /// <summary>Writes a PDU into the pipe: header (and digest), data, padding and data digest.</summary>
    private void Write(byte[] header, ReadOnlySpan<byte> data, StatusNumbering numbering)
    {
        _output.Write(header.AsSpan(0, Number(header, numbering)));
        if (data.IsEmpty)
        {
            return;
        }

        _output.Write(data);
        var padding = Padding.AsSpan(0, PaddingOf(data.Length));
        _output.Write(padding);
        if (_dataDigest)
        {
            Span<byte> digest = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(digest, Crc32C.Compute(data, padding));
            _output.Write(digest);
        }
    }

    private static int PaddingOf(int length) => (4 - (length & 3)) & 3;
}
