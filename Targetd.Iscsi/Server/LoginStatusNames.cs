namespace Targetd.Iscsi.Server;

/// <summary>Login statuses as metric tags and log text: RFC 7143 §11.13.5's names in snake case.</summary>
internal static class LoginStatusNames
{
    public static string Of(LoginStatus status) => status switch
    {
        LoginStatus.Success => "success",
        LoginStatus.InitiatorError => "initiator_error",
        LoginStatus.AuthenticationFailure => "authentication_failure",
        LoginStatus.AuthorizationFailure => "authorization_failure",
        LoginStatus.NotFound => "not_found",
        LoginStatus.TargetRemoved => "target_removed",
        LoginStatus.UnsupportedVersion => "unsupported_version",
        LoginStatus.TooManyConnections => "too_many_connections",
        LoginStatus.MissingParameter => "missing_parameter",
        LoginStatus.CannotIncludeInSession => "cannot_include_in_session",
        LoginStatus.SessionTypeNotSupported => "session_type_not_supported",
        LoginStatus.SessionDoesNotExist => "session_does_not_exist",
        LoginStatus.InvalidDuringLogin => "invalid_during_login",
        LoginStatus.TargetError => "target_error",
        LoginStatus.ServiceUnavailable => "service_unavailable",
        LoginStatus.OutOfResources => "out_of_resources",
        _ => "other",
    };
}
