using Targetd.Iscsi.Targets;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;

namespace Targetd.Iscsi.Server;

/// <content>The login phase (RFC 7143 §6, §11.12, §11.13).</content>
internal sealed partial class IscsiConnection
{
    private async ValueTask<bool> HandleLoginAsync(IscsiPdu pdu, CancellationToken cancellationToken)
    {
        var bhs = pdu.Header;
        var result = _loginPhase.Take(pdu);
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

        if (result.IsFinal && Login.Target is { } target && _registry.Admission.TryAdmit(this, target, Login.InitiatorName, Login.Isid) is { } limit)
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
        string? initiator = Login.InitiatorName is { Length: > 0 } name ? name : null;
        _logger.LoginRefused(initiator ?? "an unnamed initiator", Remote, RefusedTargetDescription(), reason);

        // Names of targets that do not exist are not labels: an initiator could otherwise grow the series without bound.
        string target = Login.IsDiscovery ? "discovery" : Login.RequestedTarget?.Name ?? "unknown";
        Metrics.IscsiMetrics.LoginsRefused.Add(1, new KeyValuePair<string, object?>("target", target), new KeyValuePair<string, object?>("reason", reason));
        var refused = new IscsiLoginRefusedEventArgs(initiator, Login.IsDiscovery ? null : Login.RequestedTargetName, Login.IsDiscovery, Remote, (ushort)status, reason);
        RaiseSafely(() => _registry.RaiseLoginRefused(refused));
        return SendLoginResponseAsync(bhs, refusal, 0, cancellationToken);
    }

    /// <summary>What a refused login asked for: "discovery" for a discovery session, else the TargetName it named.</summary>
    private string RefusedTargetDescription() =>
        Login.IsDiscovery ? "discovery" : Login.RequestedTargetName ?? "no target (TargetName missing)";

    private void EnterFullFeaturePhase(ushort tsih)
    {
        // §13.1: digests apply from the first PDU after the final Login Response, in both directions.
        _fullFeature = true;
        _keepAlive.EnteredFullFeaturePhase();
        _framer.HeaderDigest = Parameters.HeaderDigest;
        _framer.DataDigest = Parameters.DataDigest;
        _writer.UseDigests(Parameters.HeaderDigest, Parameters.DataDigest);
        _framer.MaxDataSegmentLength = Parameters.TargetMaxRecvDataSegmentLength;
        _dataOut = new DataOutAssembler(Parameters);
        var info = new IscsiSessionInfo(
            Login.InitiatorName,
            IscsiSessionInfo.FormatIsid(Login.Isid),
            tsih,
            Login.Target?.Name,
            Local,
            Remote);
        _session.Register(_registry, info, Login.Target, Close);
        if (Login.Target is { } target)
        {
            StartInventory(target);
            foreach (var (lun, unit) in target.UnitsFor(Login.InitiatorName))
            {
                unit.AttachNexus(_session.Id, _session.InitiatorPort!, async () => await _taskManager.AbortAsync([.. Tasks.Values.Where(t => t.Lun == lun)]).ConfigureAwait(false));
            }
        }
        _logger.LoggedIn(Login.InitiatorName, Login.Target?.Name ?? "discovery", tsih);
        RaiseSessionOpened(info);
    }

    /// <summary>A Login Response (§11.13): |T|C|.|.|CSG|NSG| in byte 1, version 0, ISID, TSIH, status class and detail.</summary>
    private ValueTask SendLoginResponseAsync(BasicHeaderSegment request, LoginResult result, ushort tsih, CancellationToken cancellationToken)
    {
        byte[] data = TextParameters.Encode(result.Keys);
        var login = new LoginRequestPdu(request.Bytes);
        var header = _writer.RentHeader();
        _ = new LoginResponsePduWriter(header)
        {
            Flags = result.Transit ? LoginFlags.Transit : LoginFlags.None,
            CurrentStage = (LoginStage)result.CurrentStage,
            NextStage = (LoginStage)result.NextStage,
            DataSegmentLength = data.Length,
            Isid = login.Isid,
            Tsih = tsih,
            InitiatorTaskTag = login.InitiatorTaskTag,
            Status = result.Status,
        };
        return _writer.SendAsync(header, data, StatusNumbering.Advance, cancellationToken);
    }
}
