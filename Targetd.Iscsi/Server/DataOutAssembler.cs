using Targetd.Iscsi.Wire;

namespace Targetd.Iscsi.Server;

/// <summary>
/// Assembles the Data-Out of a connection's write commands (RFC 7143 §4.2.2.2, §11.7, §11.8): immediate data,
/// unsolicited Data-Out up to FirstBurstLength when InitialR2T=No, then bursts of at most MaxBurstLength asked for by
/// R2Ts, at most MaxOutstandingR2T at a time. With DataPDUInOrder=Yes and DataSequenceInOrder=Yes every Data-Out must
/// continue its burst exactly. Runs on the connection's read loop; needs no socket.
/// </summary>
internal sealed class DataOutAssembler
{
    private readonly SessionParameters _parameters;
    private uint _nextTargetTransferTag;

    public DataOutAssembler(SessionParameters parameters) => _parameters = parameters;

    /// <summary>
    /// Starts a write command's data with the immediate data its command PDU carried; <paramref name="final"/> is the
    /// command's F bit (§11.3.1: no unsolicited Data-Out follows).
    /// </summary>
    public DataOutProgress Begin(IscsiTask task, ReadOnlySpan<byte> immediate, bool final)
    {
        if (!immediate.IsEmpty)
        {
            task.TryCopyIn(0, immediate);
        }

        task.Received = immediate.Length;
        task.UnsolicitedNext = immediate.Length;

        // §13.10/§13.14: without InitialR2T, unsolicited Data-Out may follow up to FirstBurstLength, unless F says none will.
        int unsolicitedEnd = !_parameters.InitialR2T && !final
            ? Math.Min(_parameters.FirstBurstLength, task.ExpectedLength)
            : immediate.Length;
        task.ExpectingUnsolicited = unsolicitedEnd > immediate.Length;
        task.NextR2TOffset = Math.Max(unsolicitedEnd, immediate.Length);
        return Progress(task);
    }

    /// <summary>Takes one Data-Out PDU of <paramref name="task"/>: checks it continues its burst, and copies its data.</summary>
    public static DataOutVerdict Accept(IscsiTask task, uint targetTransferTag, uint dataSN, uint bufferOffset, bool final, ReadOnlySpan<byte> data, out DataOutProgress progress)
    {
        progress = Progress(task);
        bool unsolicited = targetTransferTag == BasicHeaderSegment.ReservedTag;
        (int Next, int End, uint DataSN) burst = default;
        bool known = unsolicited ? task.ExpectingUnsolicited : task.OpenR2Ts.TryGetValue(targetTransferTag, out burst);
        int next = unsolicited ? task.UnsolicitedNext : burst.Next;
        int end = unsolicited ? task.NextR2TOffset : burst.End;
        uint expectedDataSN = unsolicited ? task.UnsolicitedDataSN : burst.DataSN;
        if (!known || bufferOffset != (uint)next || (long)bufferOffset + data.Length > end)
        {
            return DataOutVerdict.OutOfSequence;
        }

        // §11.7.5: DataSN counts the Data-Out PDUs of each sequence from 0.
        if (dataSN != expectedDataSN)
        {
            return DataOutVerdict.DataSequenceGap;
        }

        if (!task.TryCopyIn(next, data))
        {
            return DataOutVerdict.Dropped;
        }

        task.Received += data.Length;
        next += data.Length;
        expectedDataSN++;
        if (unsolicited)
        {
            task.UnsolicitedNext = next;
            task.UnsolicitedDataSN = expectedDataSN;
            if (final || next == end)
            {
                task.ExpectingUnsolicited = false;
                task.NextR2TOffset = next;
            }
        }
        else if (final || next == end)
        {
            task.OpenR2Ts.Remove(targetTransferTag);
        }
        else
        {
            task.OpenR2Ts[targetTransferTag] = (next, end, expectedDataSN);
        }

        progress = Progress(task);
        return DataOutVerdict.Accepted;
    }

    /// <summary>
    /// The next R2T to send for the data still wanted (§11.8), while fewer than MaxOutstandingR2T are open, each for at
    /// most MaxBurstLength; the task's buffer is taken with the first, when its data becomes due. False when no R2T may
    /// be sent now.
    /// </summary>
    public bool TrySolicit(IscsiTask task, out ReadyToTransfer r2t)
    {
        if (task.OpenR2TCount >= _parameters.MaxOutstandingR2T || task.NextR2TOffset >= task.ExpectedLength)
        {
            r2t = default;
            return false;
        }

        uint ttt = _nextTargetTransferTag++;
        if (ttt == BasicHeaderSegment.ReservedTag)
        {
            ttt = _nextTargetTransferTag++;
        }

        int offset = task.NextR2TOffset;
        int length = Math.Min(_parameters.MaxBurstLength, task.ExpectedLength - offset);
        task.OpenR2Ts[ttt] = (offset, offset + length, 0);
        task.NextR2TOffset = offset + length;
        task.EnsureDataOutBuffer();
        r2t = new ReadyToTransfer(ttt, task.NextR2TSN++, offset, length);
        return true;
    }

    private static DataOutProgress Progress(IscsiTask task) =>
        task.Received >= task.ExpectedLength ? DataOutProgress.Complete
        : task.ExpectingUnsolicited ? DataOutProgress.AwaitingUnsolicited
        : DataOutProgress.Solicit;
}
