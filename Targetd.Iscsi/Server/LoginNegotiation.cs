using System.Globalization;
using Targetd.Iscsi.Targets;

namespace Targetd.Iscsi.Server;

/// <summary>
/// The target side of the login phase of one connection (RFC 7143 §6): stage transitions, security
/// negotiation (AuthMethod None or CHAP), operational negotiation and the session's identity.
/// </summary>
internal sealed class LoginNegotiation
{
    public const int SecurityNegotiation = 0;
    public const int OperationalNegotiation = 1;
    public const int FullFeaturePhase = 3;

    private readonly IscsiTargetRegistry _registry;
    private bool _started;
    private bool _declaredLimits;
    private bool _authenticated;
    private ChapCredentials? _required;
    private ChapAuthenticator? _chap;
    private int _stage;

    public LoginNegotiation(IscsiTargetRegistry registry) => _registry = registry;

    public SessionParameters Parameters { get; } = new();

    public string InitiatorName { get; private set; } = string.Empty;

    public bool IsDiscovery { get; private set; }

    /// <summary>The TargetName the first Login Request asked for, whether or not it was admitted.</summary>
    public string? RequestedTargetName { get; private set; }

    /// <summary>The target of a normal session.</summary>
    public IscsiTarget? Target { get; private set; }

    /// <summary>The target asked for when it exists, also when the initiator is not let in.</summary>
    public IscsiTarget? RequestedTarget { get; private set; }

    public ulong Isid { get; private set; }

    /// <summary>Processes one complete Login Request (continuations already joined).</summary>
    public LoginResult Process(LoginRequest request)
    {
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in request.Keys)
        {
            keys[key] = value;
        }

        var answer = new List<KeyValuePair<string, string>>();
        if (!_started)
        {
            var failure = Start(request, keys, answer);
            if (failure is { } status)
            {
                return LoginResult.Failure(status);
            }
        }
        else if (request.Isid != Isid)
        {
            return LoginResult.Failure(LoginStatus.InitiatorError);
        }

        // §6.3: "CSG ... the current stage"; stages never go back, and full feature phase is not a current stage.
        if (request.CurrentStage is not (SecurityNegotiation or OperationalNegotiation) || request.CurrentStage < _stage)
        {
            return LoginResult.Failure(LoginStatus.InitiatorError);
        }

        _stage = request.CurrentStage;
        if (_stage == SecurityNegotiation)
        {
            var failure = NegotiateSecurity(keys, answer);
            if (failure is { } status)
            {
                return LoginResult.Failure(status);
            }
        }
        else if (_required is not null && !_authenticated)
        {
            // The target requires authentication and the initiator skipped the security stage.
            return LoginResult.Failure(LoginStatus.AuthenticationFailure);
        }

        foreach (var (key, value) in request.Keys)
        {
            if (KeyNegotiation.IsOperational(key))
            {
                if (KeyNegotiation.Negotiate(key, value, Parameters) is { } response)
                {
                    answer.Add(new(key, response));
                }
            }
            else if (!IsLoginKey(key))
            {
                answer.Add(new(key, KeyNegotiation.NotUnderstood));
            }
        }

        if (_stage == OperationalNegotiation && !_declaredLimits)
        {
            _declaredLimits = true;
            Parameters.TargetMaxRecvDataSegmentLength = TargetLimits.MaxRecvDataSegmentLength;
            answer.Add(new("MaxRecvDataSegmentLength", TargetLimits.MaxRecvDataSegmentLength.ToString(CultureInfo.InvariantCulture)));
        }

        bool canTransit = _stage == OperationalNegotiation || _required is null || _authenticated;
        bool transit = request.Transit && canTransit;
        if (request.Transit && request.NextStage <= _stage)
        {
            return LoginResult.Failure(LoginStatus.InitiatorError);
        }

        int next = transit ? request.NextStage : 0;
        if (transit && next == FullFeaturePhase)
        {
            KeyNegotiation.Complete(Parameters);
        }
        else if (transit)
        {
            _stage = next;
        }

        return new LoginResult(transit, request.CurrentStage, next, LoginStatus.Success, answer);
    }

    private static bool IsLoginKey(string key) => key is "InitiatorName" or "InitiatorAlias" or "SessionType" or "TargetName"
        or "AuthMethod" or "CHAP_A" or "CHAP_I" or "CHAP_C" or "CHAP_N" or "CHAP_R";

    private LoginStatus? Start(LoginRequest request, Dictionary<string, string> keys, List<KeyValuePair<string, string>> answer)
    {
        _started = true;
        Isid = request.Isid;
        RequestedTargetName = keys.GetValueOrDefault("TargetName");
        string sessionType = keys.GetValueOrDefault("SessionType", "Normal");
        IsDiscovery = sessionType == "Discovery";

        // §11.12.4: "VersionMax ... VersionMin": we speak version 0 only.
        if (request.VersionMin > 0)
        {
            return LoginStatus.UnsupportedVersion;
        }

        // §13.5: "InitiatorName ... MUST be sent in the first Login Request PDU".
        if (!keys.TryGetValue("InitiatorName", out var initiator) || !IscsiName.IsValid(initiator))
        {
            return LoginStatus.MissingParameter;
        }

        InitiatorName = initiator;

        // §11.13.5: a TSIH other than 0 adds a connection to an existing session. That session already has the one
        // connection MaxConnections=1 allows ("Too many connections"); any other TSIH names no session at all.
        if (request.Tsih != 0)
        {
            bool exists = _registry.Sessions.Any(s => s.Tsih == request.Tsih && s.InitiatorName == initiator && s.Isid == IscsiSessionInfo.FormatIsid(request.Isid));
            return exists ? LoginStatus.TooManyConnections : LoginStatus.SessionDoesNotExist;
        }

        if (IsDiscovery)
        {
            return null;
        }

        if (sessionType != "Normal")
        {
            return LoginStatus.SessionTypeNotSupported;
        }

        // §13.4: "TargetName ... MUST be sent in the first Login Request ... if the session type is Normal".
        if (RequestedTargetName is not { } targetName)
        {
            return LoginStatus.MissingParameter;
        }

        if (!_registry.TryGet(targetName, out var target))
        {
            return LoginStatus.NotFound;
        }

        RequestedTarget = target;
        if (!target.TryAuthorize(initiator, out _required))
        {
            return LoginStatus.AuthorizationFailure;
        }

        Target = target;

        // §13.9: "TargetPortalGroupTag ... MUST be returned in the first Login Response PDU of a Normal session".
        answer.Add(new("TargetPortalGroupTag", TargetLimits.PortalGroupTag.ToString(CultureInfo.InvariantCulture)));
        if (target.Alias is { } alias)
        {
            answer.Add(new("TargetAlias", alias));
        }

        return null;
    }

    private LoginStatus? NegotiateSecurity(Dictionary<string, string> keys, List<KeyValuePair<string, string>> answer)
    {
        if (keys.TryGetValue("AuthMethod", out var methods))
        {
            var offered = methods.Split(',');
            if (_required is not null && offered.Contains("CHAP"))
            {
                _chap = new ChapAuthenticator(_required);
                answer.Add(new("AuthMethod", "CHAP"));
            }
            else if (_required is null && offered.Contains("None"))
            {
                answer.Add(new("AuthMethod", "None"));
            }
            else
            {
                return LoginStatus.AuthenticationFailure;
            }
        }

        if (_chap is not null)
        {
            if (_chap.Process(keys) is not { } chapAnswer)
            {
                return LoginStatus.AuthenticationFailure;
            }

            answer.AddRange(chapAnswer);
            _authenticated = _chap.IsAuthenticated;
        }

        return null;
    }
}
