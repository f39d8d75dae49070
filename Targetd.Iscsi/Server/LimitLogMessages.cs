using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Targetd.Iscsi.Server;

/// <summary>Log events of the bounds on sessions and connections (event ids 3040-3049 of the iSCSI target's 3000-3099).</summary>
internal static partial class LimitLogMessages
{
    [LoggerMessage(EventId = 3040, Level = LogLevel.Warning, Message = "Login from {Remote} refused: out of resources, {Limit}")]
    public static partial void SessionLimitReached(this ILogger logger, EndPoint? remote, string limit);

    [LoggerMessage(EventId = 3041, Level = LogLevel.Warning, Message = "iSCSI portal on {EndPoint} serves {Limit} connections (max_connections_per_portal): new connections are closed as they arrive")]
    public static partial void ConnectionLimitReached(this ILogger logger, EndPoint endPoint, int limit);

    [LoggerMessage(EventId = 3042, Level = LogLevel.Debug, Message = "Connection from {Remote} closed at once: the portal serves its limit of connections")]
    public static partial void ConnectionRefused(this ILogger logger, EndPoint? remote);

    [LoggerMessage(EventId = 3043, Level = LogLevel.Information, Message = "iSCSI portal on {EndPoint} accepts connections again; {Refused} were closed at its connection limit")]
    public static partial void ConnectionLimitLeft(this ILogger logger, EndPoint endPoint, long refused);

    [LoggerMessage(EventId = 3044, Level = LogLevel.Warning, Message = "iSCSI portal on {EndPoint} cannot accept connections ({Error}): out of file descriptors or socket buffers? Retrying with pauses of up to {MaxPause}")]
    public static partial void AcceptPaused(this ILogger logger, EndPoint endPoint, SocketError error, TimeSpan maxPause, Exception exception);

    [LoggerMessage(EventId = 3045, Level = LogLevel.Information, Message = "iSCSI portal on {EndPoint} accepts connections again after {Failures} failed attempts")]
    public static partial void AcceptResumed(this ILogger logger, EndPoint endPoint, long failures);
}
