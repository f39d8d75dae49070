using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Targets;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;

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
        _ = new NopInPduWriter(header)
        {
            DataSegmentLength = echo.Length,
            Lun = bhs.Lun,
            InitiatorTaskTag = bhs.InitiatorTaskTag,
            TargetTransferTag = BasicHeaderSegment.ReservedTag,
        };
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
        bool continues = (new TextRequestPdu(bhs.Bytes).Flags & TextFlags.Continue) != 0;
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
        _ = new TextResponsePduWriter(header)
        {
            Flags = continues ? TextFlags.None : TextFlags.Final,
            DataSegmentLength = data.Count,
            Lun = bhs.Lun,
            InitiatorTaskTag = bhs.InitiatorTaskTag,
            TargetTransferTag = continues ? 1u : BasicHeaderSegment.ReservedTag,
        };
        await _writer.SendAsync(header, data.ToArray(), StatusNumbering.Advance, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask HandleLogoutAsync(IscsiPdu pdu, CancellationToken cancellationToken)
    {
        AcceptCommandNumber(pdu.Header);
        uint itt = pdu.Header.InitiatorTaskTag;

        // §11.14.1: reason 0 closes the session, 1 this connection; 2 (recovery) is not supported at level 0.
        var response = new LogoutRequestPdu(pdu.Header.Bytes).Reason switch
        {
            LogoutReason.CloseSession or LogoutReason.CloseConnection => LogoutResponse.ClosedSuccessfully,
            _ => LogoutResponse.RecoveryNotSupported,
        };

        NoteCloseReason(IscsiSessionCloseReason.Logout);

        // Commands already received complete before the response (§11.14: the logout is the last command).
        foreach (var task in Tasks.Values.Where(t => t.IsStarted).ToArray())
        {
            await task.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        // The I_T nexus ends with the session (one connection per session): what it held on the units, RESERVE(6/10)
        // reservations above all, is released before the initiator hears the logout succeeded.
        if (response == LogoutResponse.ClosedSuccessfully)
        {
            _session.ForgetNexus();
        }

        var header = _writer.RentHeader();
        _ = new LogoutResponsePduWriter(header)
        {
            Response = response,
            InitiatorTaskTag = itt,
            Time2Wait = 0,
            Time2Retain = 0,
        };
        await _writer.SendAsync(header, ReadOnlyMemory<byte>.Empty, StatusNumbering.Advance, cancellationToken).ConfigureAwait(false);
    }

    private void HandleTaskManagement(IscsiPdu pdu)
    {
        var bhs = pdu.Header;
        if (!AcceptCommandNumber(bhs))
        {
            return;
        }

        var request = new TaskManagementRequestPdu(bhs.Bytes);
        var function = request.Function;
        uint itt = request.InitiatorTaskTag;
        uint referenced = request.ReferencedTaskTag;
        uint cmdSN = request.CmdSN;
        uint refCmdSN = request.RefCmdSN;
        ulong lunField = request.Lun;
        int lun = ScsiDispatcher.DecodeLun(lunField);
        RunInBackground(async () =>
        {
            try
            {
                var response = await _taskManager.ManageAsync(function, lun, lunField, referenced, cmdSN, refCmdSN).ConfigureAwait(false);
                _logger.TaskManagement((int)function, lun, (byte)response);
                var header = _writer.RentHeader();
                _ = new TaskManagementResponsePduWriter(header)
                {
                    Response = response,
                    InitiatorTaskTag = itt,
                };
                await _writer.SendAsync(header, ReadOnlyMemory<byte>.Empty, StatusNumbering.Advance, _closing.Token).ConfigureAwait(false);
                if (function == TaskManagementFunction.TargetColdReset && response == TaskManagementResponse.FunctionComplete)
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

    /// <summary>A Reject PDU (§11.17): reason in byte 2, the offending header as data.</summary>
    private async ValueTask RejectAsync(IscsiPdu pdu, RejectReason reason, CancellationToken cancellationToken)
    {
        _logger.Rejected((byte)pdu.Opcode, reason);
        var header = _writer.RentHeader();
        _ = new RejectPduWriter(header)
        {
            Reason = reason,
            DataSegmentLength = BasicHeaderSegment.Size,
        };
        await _writer.SendAsync(header, pdu.HeaderBytes.ToArray(), StatusNumbering.Advance, cancellationToken).ConfigureAwait(false);
    }
}
