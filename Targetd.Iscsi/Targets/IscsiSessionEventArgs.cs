using System.Net;

namespace Targetd.Iscsi.Targets;

/// <summary>A session that logged in (<see cref="IscsiTargetRegistry.SessionOpened"/>) or ended (<see cref="IscsiTargetRegistry.SessionClosed"/>).</summary>
public sealed class IscsiSessionEventArgs : EventArgs
{
    /// <summary>Creates the arguments of a session event.</summary>
    /// <param name="session">The session, as <see cref="IscsiTargetRegistry.Sessions"/> lists it.</param>
    /// <param name="closeReason">Why it ended; null when it has just logged in.</param>
    public IscsiSessionEventArgs(IscsiSessionInfo session, IscsiSessionCloseReason? closeReason = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        Session = session;
        CloseReason = closeReason;
    }

    /// <summary>The session.</summary>
    public IscsiSessionInfo Session { get; }

    /// <summary>The initiator's iSCSI name.</summary>
    public string InitiatorName => Session.InitiatorName;

    /// <summary>The target logged in to; null for a discovery session.</summary>
    public string? TargetName => Session.TargetName;

    /// <summary>The target session identifying handle.</summary>
    public ushort Tsih => Session.Tsih;

    /// <summary>The initiator's address and port.</summary>
    public EndPoint? RemoteEndPoint => Session.InitiatorAddress;

    /// <summary>Why the session ended, for <see cref="IscsiTargetRegistry.SessionClosed"/>; null for <see cref="IscsiTargetRegistry.SessionOpened"/>.</summary>
    public IscsiSessionCloseReason? CloseReason { get; }
}
