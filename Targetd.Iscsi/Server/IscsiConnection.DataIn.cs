using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;

namespace Targetd.Iscsi.Server;

/// <summary>Data-In (RFC 7143 §11.7): a read's data, cut into PDUs and bursts.</summary>
internal sealed partial class IscsiConnection
{
    /// <summary>
    /// Data-In PDUs (§11.7): each at most the initiator's MaxRecvDataSegmentLength, F closing every MaxBurstLength
    /// sequence; with <paramref name="withStatus"/> the last carries S, the status and the residual (§11.7.2).
    /// A large read without data digests leaves in one gathered send: every header with its slice of the buffer.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendDataInAsync(
        IscsiTask task, ReadOnlyMemory<byte> data, bool withStatus, ScsiStatus status, ScsiResponseFlags residualFlags, uint residual, CancellationToken cancellationToken)
    {
        if (data.Length >= PduWriter.DirectSendThreshold && !_writer.DataDigest && MemoryMarshal.TryGetArray(data, out var whole))
        {
            var pdus = ArrayPool<OutgoingPdu>.Shared.Rent(MaxDataInPdus(whole.Count));
            try
            {
                int count = FillDataIn(pdus, task, whole, withStatus, status, residualFlags, residual);
                await _writer.SendSequenceAsync(new ArraySegment<OutgoingPdu>(pdus, 0, count), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<OutgoingPdu>.Shared.Return(pdus, clearArray: true);
            }

            return;
        }

        for (int offset = 0; offset < data.Length;)
        {
            var (header, length, last) = DataInHeader(task, data.Length, offset, withStatus, status, residualFlags, residual);
            await _writer.SendAsync(header, data.Slice(offset, length), Numbering(last, withStatus), cancellationToken).ConfigureAwait(false);
            offset += length;
        }
    }

    /// <summary>
    /// Hands the Data-In of a read that ends GOOD to the writer, status in the last PDU, when it is large enough to be
    /// sent from its buffer: the command then waits for its turn on the connection without a suspended call of its own.
    /// False when it is answered the ordinary way (<see cref="CompleteAsync"/>): a small or failed read, data digests,
    /// or a task aborted meanwhile. Once posted, the buffer and the task belong to the writer until <see cref="DataInSent"/>.
    /// </summary>
    private bool TryPostDataIn(IscsiTask task, ScsiResult result, byte[] dataIn)
    {
        int dataLength = Math.Min(result.DataInLength, task.ExpectedLength);
        if (result.Status != ScsiStatus.Good || result.Sense is not null || dataLength < PduWriter.DirectSendThreshold
            || _writer.DataDigest || !task.TryBeginResponse())
        {
            return false;
        }

        // The tag is free again once the response is on its way: remove first, so a reuse is not mistaken.
        Tasks.TryRemove(KeyValuePair.Create(task.InitiatorTaskTag, task));
        var (residualFlags, residual) = ResidualOf(task, result);
        var pdus = ArrayPool<OutgoingPdu>.Shared.Rent(MaxDataInPdus(dataLength));
        int count = FillDataIn(pdus, task, new ArraySegment<byte>(dataIn, 0, dataLength), true, result.Status, residualFlags, residual);
        _writer.Post(new PostedSequence(new ArraySegment<OutgoingPdu>(pdus, 0, count), task, dataIn), _closing.Token);
        return true;
    }

    /// <summary>
    /// A posted Data-In has been sent, or the connection closed under it: gives back its buffers, releases the task and
    /// ends its execution.
    /// </summary>
    private void DataInSent(PostedSequence sequence, Exception? failure)
    {
        var task = sequence.Task;
        try
        {
            if (failure is not null and not (OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException))
            {
                _logger.ConnectionFailed(Remote, failure);
            }

            ArrayPool<OutgoingPdu>.Shared.Return(sequence.Pdus.Array!, clearArray: true);
            _pool.Return(sequence.Buffer);
            Tasks.TryRemove(KeyValuePair.Create(task.InitiatorTaskTag, task));
            task.MarkCompleted();
            task.Dispose();
        }
        finally
        {
            EndExecution();
        }
    }

    /// <summary>Fills <paramref name="pdus"/> with the Data-In PDUs that carry <paramref name="whole"/>; returns how many.</summary>
    private int FillDataIn(
        OutgoingPdu[] pdus, IscsiTask task, ArraySegment<byte> whole, bool withStatus, ScsiStatus status, ScsiResponseFlags residualFlags, uint residual)
    {
        int count = 0;
        for (int offset = 0; offset < whole.Count;)
        {
            var (header, length, last) = DataInHeader(task, whole.Count, offset, withStatus, status, residualFlags, residual);
            pdus[count++] = new OutgoingPdu(header, whole.Slice(offset, length), Numbering(last, withStatus));
            offset += length;
        }

        return count;
    }

    /// <summary>
    /// At most how many Data-In PDUs carry <paramref name="total"/> bytes: one per segment, plus one more at each burst
    /// boundary that cuts a segment short.
    /// </summary>
    private int MaxDataInPdus(int total) =>
        (total / Parameters.InitiatorMaxRecvDataSegmentLength) + (total / Parameters.MaxBurstLength) + 1;

    private static StatusNumbering Numbering(bool last, bool withStatus) => last && withStatus ? StatusNumbering.Advance : StatusNumbering.Reserved;

    /// <summary>The header of the Data-In PDU at an offset: its length, and whether it is the last of the command.</summary>
    private (byte[] Header, int Length, bool Last) DataInHeader(
        IscsiTask task, int total, int offset, bool withStatus, ScsiStatus status, ScsiResponseFlags residualFlags, uint residual)
    {
        int segment = Parameters.InitiatorMaxRecvDataSegmentLength;
        int burst = Parameters.MaxBurstLength;
        int burstEnd = ((offset / burst) + 1) * burst;
        int length = Math.Min(segment, Math.Min(total, burstEnd) - offset);
        bool last = offset + length == total;
        bool final = last || offset + length == burstEnd;
        var flags = final ? DataInFlags.Final : DataInFlags.None;
        if (last && withStatus)
        {
            // §11.7.2: the S bit, with the residual flags of a SCSI Response in the same places.
            flags |= DataInFlags.Status | (DataInFlags)residualFlags;
        }

        var header = _writer.RentHeader();
        _ = new DataInPduWriter(header)
        {
            Flags = flags,
            Status = last && withStatus ? status : ScsiStatus.Good,
            DataSegmentLength = length,
            Lun = task.LunField,
            InitiatorTaskTag = task.InitiatorTaskTag,
            TargetTransferTag = BasicHeaderSegment.ReservedTag,
            DataSN = task.DataSequence++,
            BufferOffset = (uint)offset,
            ResidualCount = last && withStatus ? residual : 0,
        };
        return (header, length, last);
    }
}
