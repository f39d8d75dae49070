namespace Targetd.Iscsi.Targets;

/// <summary>Why a session ended, as <see cref="IscsiTargetRegistry.SessionClosed"/> reports it.</summary>
public enum IscsiSessionCloseReason
{
    /// <summary>The initiator disconnected, or the connection failed, without logging out.</summary>
    ConnectionLost,

    /// <summary>The initiator logged out (RFC 7143 §11.14).</summary>
    Logout,

    /// <summary>The initiator broke the protocol and the target closed the connection.</summary>
    ProtocolError,

    /// <summary>The initiator stayed silent after a NOP-In ping (<see cref="ConnectionTimeouts.NopInResponse"/>).</summary>
    KeepAliveTimeout,

    /// <summary>The same initiator logged in again with the same ISID, which replaces the session (RFC 7143 §6.3.5).</summary>
    Reinstated,

    /// <summary>The session's target was removed from the registry.</summary>
    TargetRemoved,

    /// <summary>The portal serving the session stopped.</summary>
    PortalStopped,

    /// <summary>A TARGET COLD RESET ended every connection (RFC 7143 §11.5.1).</summary>
    TargetReset,

    /// <summary>The initiator's admission to the target was withdrawn, or the credentials it must present changed.</summary>
    AdmissionWithdrawn,
}
