using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Targets;
using Targetd.Iscsi.Wire;

namespace Targetd.Iscsi.Server;

/// <content>NOP, Text (SendTargets), Logout, task management and Reject (RFC 7143 §11.5, §11.9-§11.11, §11.14-§11.19).</content>
internal sealed partial class IscsiConnection
{
    private readonly MemoryStream _text = new();

    private async ValueTask HandleNopOutAsync(IscsiPdu pdu, CancellationToken cancellationToken)
    {
        var bhs = pdu.Header;
        if (!AcceptCommandNumber(bhs) || bhs.InitiatorTaskTag == BasicHeaderSegment.ReservedTag)
        {
            // §11.18: a NOP-Out with the reserved tag asks for no answer.
            return;
        }

        // §11.19: the NOP-In echoes the ping data, with the reserved Target Transfer Tag.
        var echo = pdu.Data[..Math.Min(pdu.DataLength, Parameters.InitiatorMaxRecvDataSegmentLength)].ToArray();
        var header = _writer.RentHeader();
        _ = new HeaderWriter(header, IscsiOpcode.NopIn, 0x80)
            .DataSegmentLength(echo.Length)
            .Lun(bhs.Lun)
            .InitiatorTaskTag(bhs.InitiatorTaskTag)
            .UInt32(20, BasicHeaderSegment.ReservedTag);
        await _writer.SendAsync(header, echo, StatusNumbering.Advance, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask HandleTextAsync(IscsiPdu pdu, CancellationToken cancellationToken)
    {
        var bhs = pdu.Header;
        if (!AcceptCommandNumber(bhs))
        {
            return;
        }

        if (_text.Length + pdu.DataLength > TargetLimits.MaxTextLength)
        {
            _text.SetLength(0);
            await RejectAsync(pdu, RejectReason.ProtocolError, cancellationToken).ConfigureAwait(false);
            return;
        }

        _text.Write(pdu.Data.Span);
        bool continues = (bhs.Flags & 0x40) != 0;
        List<KeyValuePair<string, string>> answer = [];
        if (!continues)
        {
            bool parsed = TextParameters.TryParse(_text.GetBuffer().AsSpan(0, (int)_text.Length), out var keys);
            _text.SetLength(0);
            if (!parsed)
            {
                await RejectAsync(pdu, RejectReason.ProtocolError, cancellationToken).ConfigureAwait(false);
                return;
            }

            foreach (var (key, value) in keys)
            {
                if (key == "SendTargets")
                {
                    answer.AddRange(SendTargetsResponder.Answer(_registry, Login, Local, value));
                }
                else
                {
                    answer.Add(new(key, KeyNegotiation.NotUnderstood));
                }
            }
        }

        // §11.11: the response carries whole key=value pairs up to the initiator's MaxRecvDataSegmentLength.
        var data = new List<byte>();
        foreach (var pair in answer)
        {
            byte[] encoded = TextParameters.Encode([pair]);
            if (data.Count + encoded.Length > Parameters.InitiatorMaxRecvDataSegmentLength)
            {
                break;
            }

            data.AddRange(encoded);
        }

        var header = _writer.RentHeader();
        _ = new HeaderWriter(header, IscsiOpcode.TextResponse, (byte)(continues ? 0 : 0x80))
            .DataSegmentLength(data.Count)
            .Lun(bhs.Lun)
            .InitiatorTaskTag(bhs.InitiatorTaskTag)
            .UInt32(20, continues ? 1u : BasicHeaderSegment.ReservedTag);
        await _writer.SendAsync(header, data.ToArray(), StatusNumbering.Advance, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask HandleLogoutAsync(IscsiPdu pdu, CancellationToken cancellationToken)
    {
        AcceptCommandNumber(pdu.Header);
        uint itt = pdu.Header.InitiatorTaskTag;

        // §11.14.1: reason 0 closes the session, 1 this connection; 2 (recovery) is not supported at level 0.
        int reason = pdu.Header.Flags & 0x7F;
        byte response = reason switch
        {
            0 or 1 => 0,
            _ => 2,
        };

        NoteCloseReason(IscsiSessionCloseReason.Logout);

        // Commands already received complete before the response (§11.14: the logout is the last command).
        foreach (var task in Tasks.Values.Where(t => t.IsStarted).ToArray())
        {
            await task.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        // The I_T nexus ends with the session (one connection per session): what it held on the units, RESERVE(6/10)
        // reservations above all, is released before the initiator hears the logout succeeded.
        if (response == 0)
        {
            _session.ForgetNexus();
        }

        var header = _writer.RentHeader();
        _ = new HeaderWriter(header, IscsiOpcode.LogoutResponse, 0x80)
            .Byte(2, response)
            .InitiatorTaskTag(itt)
            .UInt16(40, 0) // Time2Wait
            .UInt16(42, 0); // Time2Retain
        await _writer.SendAsync(header, ReadOnlyMemory<byte>.Empty, StatusNumbering.Advance, cancellationToken).ConfigureAwait(false);
    }

    private void HandleTaskManagement(IscsiPdu pdu)
    {
        var bhs = pdu.Header;
        if (!AcceptCommandNumber(bhs))
        {
            return;
        }

        int function = bhs.Flags & 0x7F;
        uint itt = bhs.InitiatorTaskTag;
        uint referenced = bhs.Field20;
        uint cmdSN = bhs.CmdSN;
        uint refCmdSN = bhs.Field32;
        ulong lunField = bhs.Lun;
        int lun = ScsiDispatcher.DecodeLun(lunField);
        RunInBackground(async () =>
        {
            try
            {
                byte response = await ManageTasksAsync(function, lun, lunField, referenced, cmdSN, refCmdSN).ConfigureAwait(false);
                _logger.TaskManagement(function, lun, response);
                var header = _writer.RentHeader();
                _ = new HeaderWriter(header, IscsiOpcode.TaskManagementResponse, 0x80)
                    .Byte(2, response)
                    .InitiatorTaskTag(itt);
                await _writer.SendAsync(header, ReadOnlyMemory<byte>.Empty, StatusNumbering.Advance, _closing.Token).ConfigureAwait(false);
                if (function == 7 && response == 0)
                {
                    // §11.5.1: after a TARGET COLD RESET the target drops all its connections.
                    Close(IscsiSessionCloseReason.TargetReset);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The connection closed first.
            }
        });
    }

    /// <summary>Performs a task management function (§11.5.1) and returns its response code (§11.6.1).</summary>
    private async Task<byte> ManageTasksAsync(int function, int lun, ulong lunField, uint referenced, uint cmdSN, uint refCmdSN)
    {
        var units = _session.Target!.UnitsFor(_session.InitiatorName);
        switch (function)
        {
            case 1: // ABORT TASK
                if (Tasks.TryGetValue(referenced, out var task) && task.LunField == lunField)
                {
                    // A task whose response is already on its way has completed: "Task does not exist".
                    return await AbortAsync([task]).ConfigureAwait(false) > 0 ? (byte)0 : (byte)1;
                }

                // §11.5.1: a task not found whose RefCmdSN is still inside the CmdSN window and before this request was
                // lost on the way and counts as received: "Function complete". Otherwise it has completed: "Task does not exist".
                return _session.Window.Contains(refCmdSN)
                    && SerialNumber.LessThan(refCmdSN, cmdSN) ? (byte)0 : (byte)1;
            case 2 or 4: // ABORT TASK SET, CLEAR TASK SET
                await AbortAsync(Tasks.Values.Where(t => t.LunField == lunField).ToArray()).ConfigureAwait(false);
                return 0;
            case 5: // LOGICAL UNIT RESET
                if (!units.TryGetValue(lun, out var unit))
                {
                    return 2; // LUN does not exist
                }

                await AbortAsync(Tasks.Values.Where(t => t.LunField == lunField).ToArray()).ConfigureAwait(false);
                unit.Reset(logicalUnitReset: true);
                return 0;
            case 6 or 7: // TARGET WARM RESET, TARGET COLD RESET
                await AbortAsync(Tasks.Values.ToArray()).ConfigureAwait(false);
                foreach (var each in units.Values)
                {
                    each.Reset(logicalUnitReset: false);
                }

                return 0;
            case 8: // TASK REASSIGN
                return 4; // task allegiance reassignment not supported
            default:
                return 5; // task management function not supported
        }
    }

    /// <summary>
    /// Aborts tasks: no response will follow for them; waits until running ones have stopped. Returns how many were
    /// aborted (a task whose response was already being sent completes instead).
    /// </summary>
    private async Task<int> AbortAsync(IscsiTask[] tasks)
    {
        var aborted = new List<IscsiTask>(tasks.Length);
        foreach (var task in tasks)
        {
            if (!task.TryAbort())
            {
                continue;
            }

            aborted.Add(task);
            await task.Cancellation.CancelAsync().ConfigureAwait(false);
            if (!task.IsStarted && Tasks.TryRemove(task.InitiatorTaskTag, out _))
            {
                task.Dispose();
            }
        }

        foreach (var task in aborted.Where(t => t.IsStarted))
        {
            await task.Completion.ConfigureAwait(false);
        }

        return aborted.Count;
    }

    /// <summary>A Reject PDU (§11.17): reason in byte 2, the offending header as data.</summary>
    private async ValueTask RejectAsync(IscsiPdu pdu, RejectReason reason, CancellationToken cancellationToken)
    {
        _logger.Rejected((byte)pdu.Opcode, reason);
        var header = _writer.RentHeader();
        _ = new HeaderWriter(header, IscsiOpcode.Reject, 0x80)
            .Byte(2, (byte)reason)
            .DataSegmentLength(BasicHeaderSegment.Size)
            .InitiatorTaskTag(BasicHeaderSegment.ReservedTag);
        await _writer.SendAsync(header, pdu.HeaderBytes.ToArray(), StatusNumbering.Advance, cancellationToken).ConfigureAwait(false);
    }
}
