using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Wire;

namespace Targetd.Iscsi.Server;

/// <summary>Data-In (RFC 7143 §11.7): a read's data, cut into PDUs and bursts.</summary>
internal sealed partial class IscsiConnection
{
    private readonly List<byte[]> _dataInHeaders = [];

    /// <summary>
    /// Data-In PDUs (§11.7): each at most the initiator's MaxRecvDataSegmentLength, F closing every MaxBurstLength
    /// sequence; with <paramref name="withStatus"/> the last carries S, the status and the residual (§11.7.2).
    /// A large read without data digests leaves in one gathered send: every header with its slice of the buffer.
    /// </summary>
    private async ValueTask SendDataInAsync(
        IscsiTask task, ReadOnlyMemory<byte> data, bool withStatus, ScsiStatus status, byte residualFlags, uint residual, CancellationToken cancellationToken)
    {
        if (data.Length >= DirectSendThreshold && !_sendDataDigest && MemoryMarshal.TryGetArray(data, out var whole))
        {
            await SendDataInGatheredAsync(task, whole, withStatus, status, residualFlags, residual, cancellationToken).ConfigureAwait(false);
            return;
        }

        for (int offset = 0; offset < data.Length;)
        {
            var (header, length, last) = DataInHeader(task, data.Length, offset, withStatus, status, residualFlags, residual);
            await SendAsync(header, data.Slice(offset, length), last && withStatus ? StatusNumber.Advance : StatusNumber.Reserved, cancellationToken)
                .ConfigureAwait(false);
            offset += length;
        }
    }

    /// <summary>The header of the Data-In PDU at an offset: its length, and whether it is the last of the command.</summary>
    private (byte[] Header, int Length, bool Last) DataInHeader(
        IscsiTask task, int total, int offset, bool withStatus, ScsiStatus status, byte residualFlags, uint residual)
    {
        int segment = Parameters.InitiatorMaxRecvDataSegmentLength;
        int burst = Parameters.MaxBurstLength;
        int burstEnd = ((offset / burst) + 1) * burst;
        int length = Math.Min(segment, Math.Min(total, burstEnd) - offset);
        bool last = offset + length == total;
        bool final = last || offset + length == burstEnd;
        byte flags = (byte)(final ? 0x80 : 0);
        if (last && withStatus)
        {
            flags |= (byte)(0x01 | residualFlags);
        }

        var header = RentHeader();
        _ = new HeaderWriter(header, IscsiOpcode.DataIn, flags)
            .Byte(3, last && withStatus ? (byte)status : (byte)0)
            .DataSegmentLength(length)
            .Lun(task.LunField)
            .InitiatorTaskTag(task.InitiatorTaskTag)
            .UInt32(20, BasicHeaderSegment.ReservedTag)
            .UInt32(36, task.DataSequence++)
            .UInt32(40, (uint)offset)
            .UInt32(44, last && withStatus ? residual : 0);
        return (header, length, last);
    }

    /// <summary>
    /// Every Data-In PDU of a command in one socket send, numbered under the send lock like any other PDU; what
    /// is buffered in the pipe leaves first.
    /// </summary>
    private async ValueTask SendDataInGatheredAsync(
        IscsiTask task, ArraySegment<byte> data, bool withStatus, ScsiStatus status, byte residualFlags, uint residual, CancellationToken cancellationToken)
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
            _gather.Clear();
            int total = 0;
            for (int offset = 0; offset < data.Count;)
            {
                var (header, length, last) = DataInHeader(task, data.Count, offset, withStatus, status, residualFlags, residual);
                _dataInHeaders.Add(header);
                int headerLength = PrepareHeader(header, last && withStatus ? StatusNumber.Advance : StatusNumber.Reserved);
                int padding = (4 - (length & 3)) & 3;
                _gather.Add(new ArraySegment<byte>(header, 0, headerLength));
                _gather.Add(data.Slice(offset, length));
                if (padding > 0)
                {
                    _gather.Add(new ArraySegment<byte>(Padding, 0, padding));
                }

                total += headerLength + length + padding;
                offset += length;
            }

            await FlushAsync(cancellationToken).ConfigureAwait(false);

            // A stream socket's send of a buffer list completes once every byte is sent, or fails.
            int sent = await _socket.SendAsync(_gather, SocketFlags.None).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (sent != total)
            {
                throw new IOException("The connection is closed.");
            }
        }
        finally
        {
            foreach (var header in _dataInHeaders)
            {
                ArrayPool<byte>.Shared.Return(header);
            }

            _dataInHeaders.Clear();
            _gather.Clear();
            _sendLock.Release();
        }
    }
}
