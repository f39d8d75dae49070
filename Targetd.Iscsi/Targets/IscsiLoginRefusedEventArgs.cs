using System.Net;

namespace Targetd.Iscsi.Targets;

/// <summary>A login the target refused (<see cref="IscsiTargetRegistry.LoginRefused"/>): who asked, for what, and why.</summary>
public sealed class IscsiLoginRefusedEventArgs : EventArgs
{
    /// <summary>Creates the arguments of a refused login.</summary>
    /// <param name="initiatorName">The InitiatorName the initiator sent, or null when it sent none or an invalid one.</param>
    /// <param name="targetName">The TargetName it asked for, or null (a discovery session, or none sent).</param>
    /// <param name="isDiscovery">Whether it asked for a discovery session.</param>
    /// <param name="remoteEndPoint">The initiator's address and port.</param>
    /// <param name="status">The Login Response's Status-Class (high byte) and Status-Detail (low byte).</param>
    /// <param name="reason">The status's RFC 7143 §11.13.5 name in snake case, e.g. <c>authentication_failure</c>.</param>
    public IscsiLoginRefusedEventArgs(string? initiatorName, string? targetName, bool isDiscovery, EndPoint? remoteEndPoint, ushort status, string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        InitiatorName = initiatorName;
        TargetName = targetName;
        IsDiscovery = isDiscovery;
        RemoteEndPoint = remoteEndPoint;
        Status = status;
        Reason = reason;
    }

    /// <summary>The InitiatorName the initiator sent; null when it sent none or one that is not an iSCSI name (itself a reason to refuse).</summary>
    public string? InitiatorName { get; }

    /// <summary>The TargetName asked for, whether or not such a target exists; null for discovery or when none was sent.</summary>
    public string? TargetName { get; }

    /// <summary>Whether the login asked for a discovery session (SessionType=Discovery).</summary>
    public bool IsDiscovery { get; }

    /// <summary>The initiator's address and port.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>
    /// The Login Response's Status-Class and Status-Detail as one value (RFC 7143 §11.13.5): 0x02xx for an initiator
    /// error such as 0x0201 authentication failure or 0x0203 not found, 0x03xx for a target error such as 0x0301
    /// service unavailable (the portal is stopping).
    /// </summary>
    public ushort Status { get; }

    /// <summary>The status's name in snake case, as logs and the <c>reason</c> label of the refused-login metric spell it.</summary>
    public string Reason { get; }
}
