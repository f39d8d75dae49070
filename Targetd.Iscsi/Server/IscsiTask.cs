using System.Buffers;

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

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[]? _dataOut;
    private Dictionary<uint, (int Next, int End, uint DataSN)>? _openR2Ts;
    private BufferCharge? _charge;

    public IscsiTask(uint initiatorTaskTag, ulong lunField, int lun, byte[] cdb, uint cmdSN, int expectedLength, bool isRead, bool isWrite)
    {
        InitiatorTaskTag = initiatorTaskTag;
        LunField = lunField;
        Lun = lun;
        Cdb = cdb;
        CmdSN = cmdSN;
        ExpectedLength = expectedLength;
        IsRead = isRead;
        IsWrite = isWrite;
        if (isWrite && expectedLength > 0)
        {
            _dataOut = ArrayPool<byte>.Shared.Rent(expectedLength);
        }
    }

    public uint InitiatorTaskTag { get; }

    public ulong LunField { get; }

    public int Lun { get; }

    public byte[] Cdb { get; }

    public uint CmdSN { get; }

    /// <summary>The Expected Data Transfer Length of the command.</summary>
    public int ExpectedLength { get; }

    public bool IsRead { get; }

    public bool IsWrite { get; }

    public CancellationTokenSource Cancellation { get; } = new();

    private int _outcome;

    /// <summary>Set once a task management function (or the connection's end) has aborted the task: no response may follow.</summary>
    public bool IsAborted => Volatile.Read(ref _outcome) == Aborted;

    /// <summary>
    /// Aborts the task unless its response is already on its way; true when it is (or already was) aborted. Either
    /// the abort or the response wins, never both: an initiator must not see a response for a task the target
    /// reported as aborted (RFC 7143 §11.5.1 "Function complete").
    /// </summary>
    public bool TryAbort() => Interlocked.CompareExchange(ref _outcome, Aborted, Open) != Responding;

    /// <summary>Claims the right to send the task's response; false when the task was aborted first.</summary>
    public bool TryBeginResponse() => Interlocked.CompareExchange(ref _outcome, Responding, Open) == Open;

    /// <summary>Whether execution started (all data received).</summary>
    public bool IsStarted { get; set; }

    /// <summary>Completes when execution has finished, whatever its outcome.</summary>
    public Task Completion => _completion.Task;

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

    public Memory<byte> DataOut => _dataOut is null ? Memory<byte>.Empty : _dataOut.AsMemory(0, ExpectedLength);

    public void MarkCompleted() => _completion.TrySetResult();

    /// <summary>The share of the buffer budgets the task holds until it is disposed.</summary>
    public void Hold(BufferCharge charge) => _charge = charge;

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _dataOut, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        Interlocked.Exchange(ref _charge, null)?.Release();
        Cancellation.Dispose();
    }
}
