using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;

namespace Targetd.Iscsi.Server;

/// <content>SCSI Command, Data-Out and R2T, Data-In and SCSI Response (RFC 7143 §11.3-§11.8).</content>
internal sealed partial class IscsiConnection
{
    /// <summary>The largest Expected Data Transfer Length buffered for one command.</summary>
    private const int MaxTaskBytes = ScsiLogicalUnit.MaxTransferBytes;

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

        var command = new ScsiCommandPdu(bhs.Bytes);
        bool final = (command.Flags & ScsiCommandFlags.Final) != 0;
        bool isRead = (command.Flags & ScsiCommandFlags.Read) != 0;
        bool isWrite = (command.Flags & ScsiCommandFlags.Write) != 0;
        uint expected = command.ExpectedDataTransferLength;
        uint itt = bhs.InitiatorTaskTag;
        if (Tasks.ContainsKey(itt))
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

        var cdb = command.Cdb;
        int lun = ScsiDispatcher.DecodeLun(bhs.Lun);
        if (expected > MaxTaskBytes)
        {
            RefuseTransferLength(new IscsiTask(itt, bhs.Lun, lun, cdb, bhs.CmdSN, 0, false, false));
            return;
        }

        // Every command counts, immediate ones and repeated CmdSNs included: beyond the queue depth, or when its data would
        // pass the session's or the registry's buffer budget, it ends at once with TASK SET FULL (SAM-5 §5.3.1), before
        // any buffer is taken. Its unsolicited Data-Out, if any, is then rejected as belonging to no task.
        if (!_session.HasRoom || !BufferCharge.TryTake(_session.Buffers, _registry.Buffers, expected, out var charge))
        {
            _logger.TaskSetFull(Remote, Tasks.Count, _session.Buffers.InUse, _registry.Buffers.InUse);
            await SendTaskSetFullAsync(new IscsiTask(itt, bhs.Lun, lun, cdb, bhs.CmdSN, 0, false, false), cancellationToken).ConfigureAwait(false);
            return;
        }

        var task = new IscsiTask(itt, bhs.Lun, lun, cdb, bhs.CmdSN, (int)expected, isRead, isWrite, _pool);
        task.Hold(in charge);
        Tasks[itt] = task;
        if (!task.IsWrite || expected == 0)
        {
            StartExecution(task);
            return;
        }

        await ContinueDataOutAsync(task, _dataOut!.Begin(task, pdu.Data.Span, final), cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask HandleDataOutAsync(IscsiPdu pdu, CancellationToken cancellationToken)
    {
        // §11.7: F ends the sequence.
        var dataOut = new DataOutPdu(pdu.Header.Bytes);
        if (!Tasks.TryGetValue(dataOut.InitiatorTaskTag, out var task) || !task.IsWrite || task.IsStarted)
        {
            await RejectAsync(pdu, RejectReason.InvalidPduField, cancellationToken).ConfigureAwait(false);
            return;
        }

        switch (DataOutAssembler.Accept(task, dataOut.TargetTransferTag, dataOut.DataSN, dataOut.BufferOffset, dataOut.IsFinal, pdu.Data.Span, out var progress))
        {
            case DataOutVerdict.Accepted:
                await ContinueDataOutAsync(task, progress, cancellationToken).ConfigureAwait(false);
                return;
            case DataOutVerdict.DataSequenceGap:
                // A gap cannot be recovered at ErrorRecoveryLevel 0: the command ends with CHECK CONDITION (ABORTED
                // COMMAND, DATA PHASE ERROR) and its remaining Data-Out PDUs are rejected as belonging to no task.
                Tasks.TryRemove(KeyValuePair.Create(task.InitiatorTaskTag, task));
                task.IsStarted = true;
                RunInBackground(() => CompleteAsync(task, ScsiResult.Check(Sense.DataPhaseError()), null).AsTask());
                return;
            case DataOutVerdict.OutOfSequence:
                await RejectAsync(pdu, RejectReason.ProtocolError, cancellationToken).ConfigureAwait(false);
                return;
            default:
                return; // aborted while its data arrived
        }
    }

    /// <summary>Runs a write whose data has all arrived, or asks for more with R2Ts.</summary>
    private async ValueTask ContinueDataOutAsync(IscsiTask task, DataOutProgress progress, CancellationToken cancellationToken)
    {
        if (progress == DataOutProgress.Complete)
        {
            StartExecution(task);
        }
        else if (progress == DataOutProgress.Solicit)
        {
            await SendReadyToTransferAsync(task, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Answers a command whose transfer is larger than one task may buffer: INVALID FIELD IN CDB at its length.</summary>
    private void RefuseTransferLength(IscsiTask refused)
    {
        Tasks[refused.InitiatorTaskTag] = refused;
        refused.IsStarted = true;
        var sense = Sense.InvalidFieldInCdb(Scsi.Cdbs.BlockCommandCdb.TransferLengthByteOf(refused.Cdb[0]));
        RunInBackground(() => CompleteAsync(refused, ScsiResult.Check(sense), null).AsTask());
    }

    /// <summary>Sends the R2Ts (§11.8) the assembler allows now.</summary>
    private async ValueTask SendReadyToTransferAsync(IscsiTask task, CancellationToken cancellationToken)
    {
        while (_dataOut!.TrySolicit(task, out var r2t))
        {
            var header = _writer.RentHeader();
            _ = new ReadyToTransferPduWriter(header)
            {
                Lun = task.LunField,
                InitiatorTaskTag = task.InitiatorTaskTag,
                TargetTransferTag = r2t.TargetTransferTag,
                R2TSN = r2t.R2TSN,
                BufferOffset = (uint)r2t.Offset,
                DesiredDataTransferLength = (uint)r2t.Length,
            };
            task.DataSequence++;
            await _writer.SendAsync(header, ReadOnlyMemory<byte>.Empty, StatusNumbering.Current, cancellationToken).ConfigureAwait(false);
        }
    }

    private void StartExecution(IscsiTask task)
    {
        task.IsStarted = true;

        // Started on this thread, it leaves at its first wait, so a command reaches its device I/O without a hop;
        // counted, so the connection waits for it before it closes.
        BeginExecution();
        _ = ExecuteAsync(task);
    }

    /// <summary>Executes a task and sends its outcome. Nobody awaits it: what fails in it is logged here.</summary>
    private async Task ExecuteAsync(IscsiTask task)
    {
        byte[]? dataIn = task.IsRead && task.ExpectedLength > 0 ? _pool.Rent(task.ExpectedLength) : null;
        bool posted = false;
        try
        {
            ScsiResult result;
            if (!task.TryBeginExecution())
            {
                // Aborted and disposed before it could start: it must not run. CompleteAsync sends nothing for it.
                result = ScsiResult.Check(new SenseData(SenseKey.AbortedCommand, 0x00, 0x00));
            }
            else
            {
                try
                {
                    var target = _session.Target!;
                    var units = target.UnitsFor(_session.InitiatorName);
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
                            _session.Id,
                            task.DataOut[..task.Received],
                            dataIn is null ? Memory<byte>.Empty : dataIn.AsMemory(0, task.ExpectedLength),
                            _session.InitiatorPort);
                        result = await ScsiDispatcher.ExecuteAsync(units, task.Lun, request, task.CancellationToken).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (task.CancellationToken.IsCancellationRequested)
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
                finally
                {
                    task.EndExecution();
                }
            }

            if (dataIn is not null && TryPostDataIn(task, result, dataIn))
            {
                // The writer owns the buffer and the task now; DataInSent ends the execution.
                dataIn = null;
                posted = true;
                return;
            }

            await CompleteAsync(task, result, dataIn).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // What escapes the response other than the connection closing under it, which CompleteAsync absorbs.
            _logger.ConnectionFailed(Remote, ex);
        }
        finally
        {
            if (dataIn is not null)
            {
                _pool.Return(dataIn);
            }

            if (!posted)
            {
                EndExecution();
            }
        }
    }

    /// <summary>Sends the outcome of a task, unless it was aborted, and releases it.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CompleteAsync(IscsiTask task, ScsiResult result, byte[]? dataIn)
    {
        try
        {
            if (!task.TryBeginResponse())
            {
                return;
            }

            // The tag is free again once the response is on its way: remove first, so a reuse is not mistaken.
            Tasks.TryRemove(KeyValuePair.Create(task.InitiatorTaskTag, task));
            await SendResultAsync(task, result, dataIn, _closing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection closed under the response.
        }
        finally
        {
            Tasks.TryRemove(KeyValuePair.Create(task.InitiatorTaskTag, task));
            task.MarkCompleted();
            task.Dispose();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendResultAsync(IscsiTask task, ScsiResult result, byte[]? dataIn, CancellationToken cancellationToken)
    {
        var (residualFlags, residual) = ResidualOf(task, result);
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

        var header = _writer.RentHeader();
        _ = new ScsiResponsePduWriter(header)
        {
            Flags = residualFlags,
            Response = ScsiServiceResponse.CommandCompleted,
            Status = result.Status,
            DataSegmentLength = data.Length,
            InitiatorTaskTag = task.InitiatorTaskTag,
            ExpDataSN = task.DataSequence,
            ResidualCount = residual,
        };
        await _writer.SendAsync(header, data, StatusNumbering.Advance, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// §11.4.5: residual overflow (O) when the command wanted more than the Expected Data Transfer Length, underflow (U)
    /// when it transferred less.
    /// </summary>
    private static (ScsiResponseFlags Flags, uint Residual) ResidualOf(IscsiTask task, ScsiResult result)
    {
        if (result.Status != ScsiStatus.Good || !(task.IsRead || task.IsWrite))
        {
            return (ScsiResponseFlags.None, 0);
        }

        long wanted = result.TransferLength;
        if (wanted > task.ExpectedLength)
        {
            return (ScsiResponseFlags.ResidualOverflow, (uint)Math.Min(wanted - task.ExpectedLength, uint.MaxValue));
        }

        return wanted < task.ExpectedLength
            ? (ScsiResponseFlags.ResidualUnderflow, (uint)(task.ExpectedLength - wanted))
            : (ScsiResponseFlags.None, 0);
    }
}
