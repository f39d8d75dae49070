using Targetd.Iscsi.Targets;
using Targetd.Iscsi.Wire;

namespace Targetd.Iscsi.Server;

/// <content>The login phase (RFC 7143 §6, §11.12, §11.13).</content>
internal sealed partial class IscsiConnection
{
    private readonly MemoryStream _loginText = new();
    private bool _loginStarted;

    private async ValueTask<bool> HandleLoginAsync(IscsiPdu pdu, CancellationToken cancellationToken)
    {
        if (pdu.Opcode != IscsiOpcode.LoginRequest)
        {
            throw new IscsiProtocolException($"{pdu.Opcode} received before login completed.");
        }

        var bhs = pdu.Header;
        if (!_loginStarted)
        {
            // §11.12.6: the CmdSN of the first Login Request is the one the first command will carry.
            _loginStarted = true;
            _expCmdSN = bhs.CmdSN;
            _maxCmdSN = bhs.CmdSN + (uint)_registry.Limits.QueueDepth - 1;
        }

        bool continues = (bhs.Flags & 0x40) != 0;
        if (_loginText.Length + pdu.DataLength > TargetLimits.MaxTextLength)
        {
            await RefuseLoginAsync(bhs, LoginResult.Failure(LoginStatus.InitiatorError), cancellationToken).ConfigureAwait(false);
            return false;
        }

        _loginText.Write(pdu.Data.Span);
        if (continues)
        {
            // §11.12.2: the C bit means the text continues; the target answers each such PDU with an empty response.
            var partial = new LoginResult(false, (bhs.Flags >> 2) & 0x03, 0, LoginStatus.Success, []);
            await SendLoginResponseAsync(bhs, partial, 0, cancellationToken).ConfigureAwait(false);
            return true;
        }

        bool parsed = TextParameters.TryParse(_loginText.GetBuffer().AsSpan(0, (int)_loginText.Length), out var keys);
        _loginText.SetLength(0);
        var result = parsed
            ? _login.Process(LoginRequest.Parse(bhs, keys))
            : LoginResult.Failure(LoginStatus.InitiatorError);
        if (result.Status != LoginStatus.Success)
        {
            await RefuseLoginAsync(bhs, result, cancellationToken).ConfigureAwait(false);
            return false;
        }

        if (Volatile.Read(ref _draining))
        {
            // §11.13.5 "Service unavailable": the portal is stopping; the initiator may log in again elsewhere or later.
            await RefuseLoginAsync(bhs, LoginResult.Failure(LoginStatus.ServiceUnavailable), cancellationToken).ConfigureAwait(false);
            return false;
        }

        if (result.IsFinal && _login.Target is { } target && _registry.Admission.TryAdmit(this, target, _login.InitiatorName, _login.Isid) is { } limit)
        {
            // §11.13.5 "Out of resources": a session limit of the target or the initiator is reached.
            _logger.SessionLimitReached(Remote, limit);
            await RefuseLoginAsync(bhs, LoginResult.Failure(LoginStatus.OutOfResources), cancellationToken).ConfigureAwait(false);
            return false;
        }

        ushort tsih = result.IsFinal ? _registry.NextTsih() : (ushort)0;
        await SendLoginResponseAsync(bhs, result, tsih, cancellationToken).ConfigureAwait(false);

        if (result.IsFinal)
        {
            EnterFullFeaturePhase(tsih);
        }

        return true;
    }

    /// <summary>
    /// Logs, counts and reports a refused login, then sends the refusing Login Response (so an initiator that has
    /// its answer finds the refusal already reported); the caller closes the connection.
    /// </summary>
    private ValueTask RefuseLoginAsync(BasicHeaderSegment bhs, LoginResult refusal, CancellationToken cancellationToken)
    {
        var status = refusal.Status;
        string reason = LoginStatusNames.Of(status);
        string? initiator = _login.InitiatorName is { Length: > 0 } name ? name : null;
        _logger.LoginRefused(initiator ?? "an unnamed initiator", Remote, RefusedTargetDescription(), reason);

        // Names of targets that do not exist are not labels: an initiator could otherwise grow the series without bound.
        string target = _login.IsDiscovery ? "discovery" : _login.RequestedTarget?.Name ?? "unknown";
        Metrics.IscsiMetrics.LoginsRefused.Add(1, new KeyValuePair<string, object?>("target", target), new KeyValuePair<string, object?>("reason", reason));
        var refused = new IscsiLoginRefusedEventArgs(initiator, _login.IsDiscovery ? null : _login.RequestedTargetName, _login.IsDiscovery, Remote, (ushort)status, reason);
        RaiseSafely(() => _registry.RaiseLoginRefused(refused));
        return SendLoginResponseAsync(bhs, refusal, 0, cancellationToken);
    }

    /// <summary>What a refused login asked for: "discovery" for a discovery session, else the TargetName it named.</summary>
    private string RefusedTargetDescription() =>
        _login.IsDiscovery ? "discovery" : _login.RequestedTargetName ?? "no target (TargetName missing)";

    private void EnterFullFeaturePhase(ushort tsih)
    {
        // §13.1: digests apply from the first PDU after the final Login Response, in both directions.
        _fullFeature = true;
        _framer.HeaderDigest = _sendHeaderDigest = Parameters.HeaderDigest;
        _framer.DataDigest = _sendDataDigest = Parameters.DataDigest;
        _framer.MaxDataSegmentLength = Parameters.TargetMaxRecvDataSegmentLength;
        var info = new IscsiSessionInfo(
            _login.InitiatorName,
            IscsiSessionInfo.FormatIsid(_login.Isid),
            tsih,
            _login.Target?.Name,
            Local,
            Remote);
        _sessionId = _registry.Register(info, _login.Target, Close);

        // SPC-4 §7.5.4.6: the iSCSI initiator port name, "<iSCSI name>,i,0x<ISID>".
        _initiatorPort = info.InitiatorName + ",i,0x" + info.Isid;
        _registered = true;
        if (_login.Target is { } target)
        {
            StartInventory(target);
            foreach (var (lun, unit) in target.UnitsFor(_login.InitiatorName))
            {
                unit.AttachNexus(_sessionId, _initiatorPort, async () => await AbortAsync([.. _tasks.Values.Where(t => t.Lun == lun)]).ConfigureAwait(false));
            }
        }
        _logger.LoggedIn(_login.InitiatorName, _login.Target?.Name ?? "discovery", tsih);
        RaiseSessionOpened(info);
    }

    /// <summary>A Login Response (§11.13): |T|C|.|.|CSG|NSG| in byte 1, version 0, ISID, TSIH, status class and detail.</summary>
    private ValueTask SendLoginResponseAsync(BasicHeaderSegment request, LoginResult result, ushort tsih, CancellationToken cancellationToken)
    {
        byte[] data = TextParameters.Encode(result.Keys);
        byte flags = (byte)((result.Transit ? 0x80 : 0) | (result.CurrentStage << 2) | result.NextStage);
        var header = RentHeader();
        _ = new HeaderWriter(header, IscsiOpcode.LoginResponse, flags)
            .DataSegmentLength(data.Length)
            .InitiatorTaskTag(request.InitiatorTaskTag)
            .UInt16(14, tsih)
            .UInt16(36, (ushort)result.Status);
        request.Bytes[8..14].CopyTo(header.AsSpan(8)); // ISID
        return SendAsync(header, data, StatusNumber.Advance, cancellationToken);
    }
}
