namespace Targetd.Iscsi.Server;

/// <summary>
/// One SCSI task of a connection: the command, its data-out buffer while data arrives (RFC 7143 §4.2.2.2 R2T,
/// §7.2 unsolicited data) and the means to abort it.
/// </summary>
internal sealed class IscsiTask : IDisposable
{
    private const int Open = 0;
    private const int Responding = 1;
    private const int Aborted = 2;

    /// <summary>Made only when someone waits for the task (abort, logout, drain); most tasks are never waited for.</summary>
    private TaskCompletionSource? _completion;
    private int _completed;
    private readonly IoBufferPool _pool;
    private byte[]? _dataOut;

    /// <summary>
    /// 1 for the task itself until it is disposed, plus one for each Data-Out copy under way into its buffer and one for
    /// its execution: the last to leave gives back the buffer, the CDB and the cancellation source.
    /// </summary>
    private int _users = 1;
    private Dictionary<uint, (int Next, int End, uint DataSN)>? _openR2Ts;
    private BufferCharge _charge;
    private byte[]? _cdb;
    private CancellationTokenSource? _cancellation = TaskResourcePool.RentCancellation();

    public IscsiTask(uint initiatorTaskTag, ulong lunField, int lun, ReadOnlySpan<byte> cdb, uint cmdSN, int expectedLength, bool isRead, bool isWrite, IoBufferPool? pool = null)
    {
        _pool = pool ?? IoBufferPool.Shared;
        InitiatorTaskTag = initiatorTaskTag;
        LunField = lunField;
        Lun = lun;
        _cdb = cdb.Length == TaskResourcePool.CdbLength ? TaskResourcePool.RentCdb() : new byte[cdb.Length];
        cdb.CopyTo(_cdb);
        CmdSN = cmdSN;
        ExpectedLength = expectedLength;
        IsRead = isRead;
        IsWrite = isWrite;
    }

    public uint InitiatorTaskTag { get; }

    public ulong LunField { get; }

    public int Lun { get; }

    /// <summary>The CDB; read only while the task is held (not disposed, or executing).</summary>
    public byte[] Cdb => _cdb ?? throw new ObjectDisposedException(nameof(IscsiTask));

    public uint CmdSN { get; }

    /// <summary>The Expected Data Transfer Length of the command.</summary>
    public int ExpectedLength { get; }

    public bool IsRead { get; }

    public bool IsWrite { get; }

    /// <summary>Cancelled when the task is aborted; read only while the task is held (not disposed, or executing).</summary>
    public CancellationToken CancellationToken => (_cancellation ?? throw new ObjectDisposedException(nameof(IscsiTask))).Token;

    private int _outcome;

    /// <summary>Set once a task management function (or the connection's end) has aborted the task: no response may follow.</summary>
    public bool IsAborted => Volatile.Read(ref _outcome) == Aborted;

    /// <summary>
    /// Aborts the task unless its response is already on its way; true when it is (or already was) aborted. Either
    /// the abort or the response wins, never both: an initiator must not see a response for a task the target
    /// reported as aborted (RFC 7143 §11.5.1 "Function complete").
    /// </summary>
    public bool TryAbort() => Interlocked.CompareExchange(ref _outcome, Aborted, Open) != Responding;

    /// <summary>
    /// Stops what the task is running. A task that has meanwhile completed and been disposed has nothing left to stop:
    /// an abort that won the race against its response must still be answered.
    /// </summary>
    public async Task CancelAsync()
    {
        if (!TryUse())
        {
            return; // Completed and disposed: nothing runs any more.
        }

        try
        {
            // Once cancelled, the source is disposed rather than kept for another task.
            await _cancellation!.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            Release();
        }
    }

    /// <summary>
    /// Holds the task's CDB, buffer and cancellation for its execution; false when it was disposed (aborted before it
    /// started), and then it must not run. Each true is ended by <see cref="EndExecution"/>.
    /// </summary>
    public bool TryBeginExecution() => TryUse();

    public void EndExecution() => Release();

    /// <summary>Claims the right to send the task's response; false when the task was aborted first.</summary>
    public bool TryBeginResponse() => Interlocked.CompareExchange(ref _outcome, Responding, Open) == Open;

    /// <summary>Whether execution started (all data received).</summary>
    public bool IsStarted { get; set; }

    /// <summary>Completes when execution has finished, whatever its outcome.</summary>
    public Task Completion
    {
        get
        {
            if (Volatile.Read(ref _completed) != 0)
            {
                return Task.CompletedTask;
            }

            var completion = LazyInitializer.EnsureInitialized(ref _completion, static () => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

            // Completion may have come between the check and the creation, before MarkCompleted could see the source.
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _completed) != 0)
            {
                completion.TrySetResult();
            }

            return completion.Task;
        }
    }

    /// <summary>Bytes of data-out received so far, in order.</summary>
    public int Received { get; set; }

    /// <summary>Whether unsolicited Data-Out PDUs (target transfer tag FFFFFFFFh) are still expected.</summary>
    public bool ExpectingUnsolicited { get; set; }

    /// <summary>The next buffer offset of unsolicited data.</summary>
    public int UnsolicitedNext { get; set; }

    /// <summary>Where the next R2T starts.</summary>
    public int NextR2TOffset { get; set; }

    public uint NextR2TSN { get; set; }

    /// <summary>Open R2Ts by target transfer tag: the next offset expected, the end of the burst and the next DataSN.</summary>
    public Dictionary<uint, (int Next, int End, uint DataSN)> OpenR2Ts => _openR2Ts ??= [];

    /// <summary>How many R2Ts are open, without making the table for a command that never needs one.</summary>
    public int OpenR2TCount => _openR2Ts?.Count ?? 0;

    /// <summary>The DataSN expected on the next unsolicited Data-Out.</summary>
    public uint UnsolicitedDataSN { get; set; }

    /// <summary>The Data-In and R2T PDUs sent, reported as ExpDataSN in the SCSI Response (§11.4.8).</summary>
    public uint DataSequence { get; set; }

    /// <summary>The Data-Out received, once it is complete; empty for a command that carries none.</summary>
    public Memory<byte> DataOut => _dataOut is null ? Memory<byte>.Empty : _dataOut.AsMemory(0, ExpectedLength);

    /// <summary>
    /// Copies Data-Out into the task's buffer at <paramref name="offset"/>, taking the buffer from the pool when the first
    /// data is due (an R2T sent, unsolicited data arriving), not when the command arrives. False when the task has been
    /// disposed (aborted) meanwhile: the data is dropped, and the buffer goes back to the pool only after any copy under
    /// way has finished.
    /// </summary>
    public bool TryCopyIn(int offset, ReadOnlySpan<byte> data)
    {
        if (!TryUse())
        {
            return false;
        }

        try
        {
            _dataOut ??= _pool.Rent(ExpectedLength);
            data.CopyTo(_dataOut.AsSpan(offset));
            return true;
        }
        finally
        {
            Release();
        }
    }

    /// <summary>
    /// Takes the Data-Out buffer from the pool if the task has none yet (before its first R2T). Data-Out is assembled by
    /// one reader at a time; only disposal may race with it.
    /// </summary>
    public void EnsureDataOutBuffer()
    {
        if (!IsWrite || ExpectedLength == 0 || !TryUse())
        {
            return;
        }

        try
        {
            _dataOut ??= _pool.Rent(ExpectedLength);
        }
        finally
        {
            Release();
        }
    }

    public void MarkCompleted()
    {
        Interlocked.Exchange(ref _completed, 1);
        Volatile.Read(ref _completion)?.TrySetResult();
    }

    /// <summary>The share of the buffer budgets the task holds until it is disposed and no longer executing.</summary>
    public void Hold(in BufferCharge charge) => _charge = charge;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Release();
    }

    private int _disposed;

    private bool TryUse()
    {
        int users = Volatile.Read(ref _users);
        while (users > 0)
        {
            int seen = Interlocked.CompareExchange(ref _users, users + 1, users);
            if (seen == users)
            {
                return true;
            }

            users = seen;
        }

        return false;
    }

    /// <summary>Drops one user of the task; the last gives back the buffer, the CDB and the cancellation source.</summary>
    private void Release()
    {
        if (Interlocked.Decrement(ref _users) != 0)
        {
            return;
        }

        if (Interlocked.Exchange(ref _dataOut, null) is { } buffer)
        {
            _pool.Return(buffer);
        }

        _charge.Release();

        if (Interlocked.Exchange(ref _cdb, null) is { Length: TaskResourcePool.CdbLength } cdb)
        {
            TaskResourcePool.ReturnCdb(cdb);
        }

        if (Interlocked.Exchange(ref _cancellation, null) is { } cancellation)
        {
            TaskResourcePool.ReturnCancellation(cancellation);
        }
    }
}
