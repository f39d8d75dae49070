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
                int count = 0;
                for (int offset = 0; offset < whole.Count;)
                {
                    var (header, length, last) = DataInHeader(task, whole.Count, offset, withStatus, status, residualFlags, residual);
                    pdus[count++] = new OutgoingPdu(header, whole.Slice(offset, length), Numbering(last, withStatus));
                    offset += length;
                }

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
