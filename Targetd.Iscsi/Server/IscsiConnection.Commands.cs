using System.Buffers;
using System.Buffers.Binary;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Wire;

namespace Targetd.Iscsi.Server;

/// <content>SCSI Command, Data-Out and R2T, Data-In and SCSI Response (RFC 7143 §11.3-§11.8).</content>
internal sealed partial class IscsiConnection
{
    /// <summary>The largest Expected Data Transfer Length buffered for one command.</summary>
    private const int MaxTaskBytes = ScsiLogicalUnit.MaxTransferBytes;

    private uint _nextTargetTransferTag;

    private async ValueTask HandleScsiCommandAsync(IscsiPdu pdu, CancellationToken cancellationToken)
    {
        var bhs = pdu.Header;
        if (!AcceptCommandNumber(bhs))
        {
            return;
        }

        if (Volatile.Read(ref _draining))
        {
            await RefuseWhileDrainingAsync(bhs, cancellationToken).ConfigureAwait(false);
            return;
        }

        // §11.3.1: byte 1 is |F|R|W|.|.|ATTR|; bytes 20-23 the Expected Data Transfer Length; bytes 32-47 the CDB.
        bool final = (bhs.Flags & 0x80) != 0;
        bool isRead = (bhs.Flags & 0x40) != 0;
        bool isWrite = (bhs.Flags & 0x20) != 0;
        uint expected = bhs.Field20;
        uint itt = bhs.InitiatorTaskTag;
        if (_tasks.ContainsKey(itt))
        {
            await RejectAsync(pdu, RejectReason.TaskInProgress, cancellationToken).ConfigureAwait(false);
            return;
        }

        if ((pdu.DataLength > 0 && (!isWrite || !Parameters.ImmediateData || pdu.DataLength > Parameters.FirstBurstLength))
            || (isRead && isWrite) || (uint)pdu.DataLength > expected)
        {
            // Immediate data that was not negotiated, exceeds FirstBurstLength or the transfer; bidirectional commands.
            await RejectAsync(pdu, RejectReason.ProtocolError, cancellationToken).ConfigureAwait(false);
            return;
        }

        var cdb = bhs.Bytes[32..48].ToArray();
        int lun = ScsiDispatcher.DecodeLun(bhs.Lun);
        if (expected > MaxTaskBytes)
        {
            RefuseTransferLength(new IscsiTask(itt, bhs.Lun, lun, cdb, bhs.CmdSN, 0, false, false));
            return;
        }

        // Every command counts, immediate ones and repeated CmdSNs included: beyond the queue depth, or when its data would
        // pass the session's or the registry's buffer budget, it ends at once with TASK SET FULL (SAM-5 §5.3.1), before
        // any buffer is taken. Its unsolicited Data-Out, if any, is then rejected as belonging to no task.
        var charge = _tasks.Count < _registry.Limits.QueueDepth ? BufferCharge.TryTake(_sessionBuffers, _registry.Buffers, expected) : null;
        if (charge is null)
        {
            _logger.TaskSetFull(Remote, _tasks.Count, _sessionBuffers.InUse, _registry.Buffers.InUse);
            await SendTaskSetFullAsync(new IscsiTask(itt, bhs.Lun, lun, cdb, bhs.CmdSN, 0, false, false), cancellationToken).ConfigureAwait(false);
            return;
        }

        var task = new IscsiTask(itt, bhs.Lun, lun, cdb, bhs.CmdSN, (int)expected, isRead, isWrite);
        task.Hold(charge);
        _tasks[itt] = task;
        if (!task.IsWrite || expected == 0)
        {
            StartExecution(task);
            return;
        }

        pdu.Data.Span.CopyTo(task.DataOut.Span);
        task.Received = pdu.DataLength;
        task.UnsolicitedNext = pdu.DataLength;

        // §13.10/§13.14: without InitialR2T, unsolicited Data-Out may follow up to FirstBurstLength, unless F says none will.
        int unsolicitedEnd = !Parameters.InitialR2T && !final
            ? Math.Min(Parameters.FirstBurstLength, task.ExpectedLength)
            : pdu.DataLength;
        task.ExpectingUnsolicited = unsolicitedEnd > pdu.DataLength;
        task.NextR2TOffset = Math.Max(unsolicitedEnd, pdu.DataLength);
        if (task.Received >= task.ExpectedLength)
        {
            StartExecution(task);
        }
        else if (!task.ExpectingUnsolicited)
        {
            await SendReadyToTransferAsync(task, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask HandleDataOutAsync(IscsiPdu pdu, CancellationToken cancellationToken)
    {
        // §11.7: Target Transfer Tag at 20, DataSN at 36, Buffer Offset at 40; F ends the sequence.
        var bhs = pdu.Header;
        if (!_tasks.TryGetValue(bhs.InitiatorTaskTag, out var task) || !task.IsWrite || task.IsStarted)
        {
            await RejectAsync(pdu, RejectReason.InvalidPduField, cancellationToken).ConfigureAwait(false);
            return;
        }

        long offset = bhs.Field40;
        uint ttt = bhs.TargetTransferTag;
        int length = pdu.DataLength;
        bool unsolicited = ttt == BasicHeaderSegment.ReservedTag;
        (int Next, int End, uint DataSN) burst = default;
        bool known = unsolicited ? task.ExpectingUnsolicited : task.OpenR2Ts.TryGetValue(ttt, out burst);
        int next = unsolicited ? task.UnsolicitedNext : burst.Next;
        int end = unsolicited ? task.NextR2TOffset : burst.End;
        uint dataSN = unsolicited ? task.UnsolicitedDataSN : burst.DataSN;

        // DataPDUInOrder=Yes: each Data-Out continues its sequence exactly, within the burst.
        if (!known || offset != next || offset + length > end)
        {
            await RejectAsync(pdu, RejectReason.ProtocolError, cancellationToken).ConfigureAwait(false);
            return;
        }

        // §11.7.5: DataSN counts the Data-Out PDUs of each sequence from 0. A gap cannot be recovered at
        // ErrorRecoveryLevel 0: the command ends with CHECK CONDITION (ABORTED COMMAND, DATA PHASE ERROR) and its
        // remaining Data-Out PDUs are rejected as belonging to no task.
        if (bhs.Field36 != dataSN)
        {
            _tasks.TryRemove(task.InitiatorTaskTag, out _);
            task.IsStarted = true;
            RunInBackground(() => CompleteAsync(task, ScsiResult.Check(Sense.DataPhaseError()), null));
            return;
        }

        dataSN++;

        pdu.Data.Span.CopyTo(task.DataOut.Span[(int)offset..]);
        task.Received += length;
        next += length;
        if (unsolicited)
        {
            task.UnsolicitedNext = next;
            task.UnsolicitedDataSN = dataSN;
            if (bhs.IsFinal || next == end)
            {
                task.ExpectingUnsolicited = false;
                task.NextR2TOffset = next;
            }
        }
        else if (bhs.IsFinal || next == end)
        {
            task.OpenR2Ts.Remove(ttt);
        }
        else
        {
            task.OpenR2Ts[ttt] = (next, end, dataSN);
        }

        if (task.Received >= task.ExpectedLength)
        {
            StartExecution(task);
        }
        else if (!task.ExpectingUnsolicited)
        {
            await SendReadyToTransferAsync(task, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Answers a command whose transfer is larger than one task may buffer: INVALID FIELD IN CDB at its length.</summary>
    private void RefuseTransferLength(IscsiTask refused)
    {
        _tasks[refused.InitiatorTaskTag] = refused;
        refused.IsStarted = true;
        var sense = Sense.InvalidFieldInCdb(Scsi.Cdbs.BlockCommandCdb.TransferLengthByteOf(refused.Cdb[0]));
        RunInBackground(() => CompleteAsync(refused, ScsiResult.Check(sense), null));
    }

    /// <summary>Sends R2Ts (§11.8) for the data still wanted, up to MaxOutstandingR2T, each at most MaxBurstLength.</summary>
    private async ValueTask SendReadyToTransferAsync(IscsiTask task, CancellationToken cancellationToken)
    {
        while (task.OpenR2TCount < Parameters.MaxOutstandingR2T && task.NextR2TOffset < task.ExpectedLength)
        {
            uint ttt = _nextTargetTransferTag++;
            if (ttt == BasicHeaderSegment.ReservedTag)
            {
                ttt = _nextTargetTransferTag++;
            }

            int offset = task.NextR2TOffset;
            int length = Math.Min(Parameters.MaxBurstLength, task.ExpectedLength - offset);
            task.OpenR2Ts[ttt] = (offset, offset + length, 0);
            task.NextR2TOffset = offset + length;
            var header = RentHeader();
            _ = new HeaderWriter(header, IscsiOpcode.ReadyToTransfer, 0x80)
                .Lun(task.LunField)
                .InitiatorTaskTag(task.InitiatorTaskTag)
                .UInt32(20, ttt)
                .UInt32(36, task.NextR2TSN++)
                .UInt32(40, (uint)offset)
                .UInt32(44, (uint)length);
            task.DataSequence++;
            await SendAsync(header, ReadOnlyMemory<byte>.Empty, StatusNumber.Current, cancellationToken).ConfigureAwait(false);
        }
    }

    private void StartExecution(IscsiTask task)
    {
        task.IsStarted = true;

        // Started on this thread, it leaves at its first wait, so a command reaches its device I/O without a hop;
        // tracked like other background work, so the connection waits for it before it closes.
        long id = ReserveBackground();
        Track(id, ExecuteAsync(task, id));
    }

    /// <summary>Executes a task and sends its outcome; <paramref name="backgroundId"/> is its entry among the background work.</summary>
    private async Task ExecuteAsync(IscsiTask task, long backgroundId)
    {
        byte[]? dataIn = task.IsRead && task.ExpectedLength > 0 ? ArrayPool<byte>.Shared.Rent(task.ExpectedLength) : null;
        try
        {
            ScsiResult result;
            try
            {
                var target = _login.Target!;
                var units = target.UnitsFor(_login.InitiatorName);
                if (TakeInventoryAttention(target, units, task.Lun, task.Cdb) is { } attention)
                {
                    // SPC-4 §6.39: REQUEST SENSE returns a pending unit attention as its parameter data, with GOOD status.
                    result = task.Cdb[0] == (byte)ScsiOpcode.RequestSense
                        ? ScsiResult.Data(attention.ToArray(), task.Cdb[4], dataIn is null ? Memory<byte>.Empty : dataIn.AsMemory(0, task.ExpectedLength))
                        : ScsiResult.Check(attention);
                }
                else
                {
                    var request = new ScsiRequest(
                        task.Cdb,
                        _sessionId,
                        task.DataOut[..task.Received],
                        dataIn is null ? Memory<byte>.Empty : dataIn.AsMemory(0, task.ExpectedLength),
                        _initiatorPort);
                    result = await ScsiDispatcher.ExecuteAsync(units, task.Lun, request, task.Cancellation.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (task.Cancellation.IsCancellationRequested)
            {
                // Aborted or the connection is closing: CompleteAsync sends nothing for an aborted task, but it
                // must still run so that whoever waits for the task (ABORT TASK, logout, shutdown) is released.
                result = ScsiResult.Check(new SenseData(SenseKey.AbortedCommand, 0x00, 0x00));
            }
            catch (Exception ex)
            {
                _logger.CommandFailed(ex);
                result = ScsiResult.Check(new SenseData(SenseKey.HardwareError, 0x44, 0x00)); // INTERNAL TARGET FAILURE
            }

            await CompleteAsync(task, result, dataIn).ConfigureAwait(false);
        }
        finally
        {
            if (dataIn is not null)
            {
                ArrayPool<byte>.Shared.Return(dataIn);
            }

            _background.TryRemove(backgroundId, out _);
        }
    }

    /// <summary>Sends the outcome of a task, unless it was aborted, and releases it.</summary>
    private async Task CompleteAsync(IscsiTask task, ScsiResult result, byte[]? dataIn)
    {
        try
        {
            if (!task.TryBeginResponse())
            {
                return;
            }

            // The tag is free again once the response is on its way: remove first, so a reuse is not mistaken.
            _tasks.TryRemove(task.InitiatorTaskTag, out _);
            await SendResultAsync(task, result, dataIn, _closing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection closed under the response.
        }
        finally
        {
            _tasks.TryRemove(task.InitiatorTaskTag, out _);
            task.MarkCompleted();
            task.Dispose();
        }
    }

    private async ValueTask SendResultAsync(IscsiTask task, ScsiResult result, byte[]? dataIn, CancellationToken cancellationToken)
    {
        // §11.4.5: residual overflow (O) when the command wanted more than the Expected Data Transfer Length,
        // underflow (U) when it transferred less.
        byte residualFlags = 0;
        uint residual = 0;
        if (result.Status == ScsiStatus.Good && (task.IsRead || task.IsWrite))
        {
            long wanted = result.TransferLength;
            if (wanted > task.ExpectedLength)
            {
                residualFlags = 0x04;
                residual = (uint)Math.Min(wanted - task.ExpectedLength, uint.MaxValue);
            }
            else if (wanted < task.ExpectedLength)
            {
                residualFlags = 0x02;
                residual = (uint)(task.ExpectedLength - wanted);
            }
        }

        int dataLength = dataIn is null ? 0 : Math.Min(result.DataInLength, task.ExpectedLength);
        bool statusInData = result.Status == ScsiStatus.Good && result.Sense is null && dataLength > 0;
        if (dataLength > 0)
        {
            await SendDataInAsync(task, dataIn!.AsMemory(0, dataLength), statusInData, result.Status, residualFlags, residual, cancellationToken)
                .ConfigureAwait(false);
            if (statusInData)
            {
                return;
            }
        }

        // §11.4: SCSI Response; the data segment holds SenseLength (2 bytes) and the sense data (§11.4.7.2).
        byte[] data = [];
        if (result.Sense is { } sense)
        {
            data = new byte[2 + SenseData.Length];
            BinaryPrimitives.WriteUInt16BigEndian(data, SenseData.Length);
            sense.WriteTo(data.AsSpan(2));
        }

        var header = RentHeader();
        _ = new HeaderWriter(header, IscsiOpcode.ScsiResponse, (byte)(0x80 | residualFlags))
            .Byte(3, (byte)result.Status)
            .DataSegmentLength(data.Length)
            .InitiatorTaskTag(task.InitiatorTaskTag)
            .UInt32(36, task.DataSequence)
            .UInt32(44, residual);
        await SendAsync(header, data, StatusNumber.Advance, cancellationToken).ConfigureAwait(false);
    }
}
