using System.Net;
using Microsoft.Extensions.Logging;

namespace Targetd.Iscsi.Server;

/// <summary>Log events of the iSCSI target (event ids 3000-3099). Secrets never appear here.</summary>
internal static partial class LogMessages
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "iSCSI portal listening on {EndPoint}")]
    public static partial void PortalStarted(this ILogger logger, EndPoint endPoint);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "iSCSI portal on {EndPoint} stopped")]
    public static partial void PortalStopped(this ILogger logger, EndPoint endPoint);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "Connection from {Remote}")]
    public static partial void ConnectionAccepted(this ILogger logger, EndPoint? remote);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "Connection from {Remote} closed")]
    public static partial void ConnectionClosed(this ILogger logger, EndPoint? remote);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Protocol error from {Remote}; closing the connection")]
    public static partial void ProtocolError(this ILogger logger, EndPoint? remote, Exception exception);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Debug, Message = "Connection from {Remote} failed")]
    public static partial void ConnectionFailed(this ILogger logger, EndPoint? remote, Exception exception);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Login of {Initiator} from {Remote} to {Target} refused: {Reason}")]
    public static partial void LoginRefused(this ILogger logger, string initiator, EndPoint? remote, string target, string reason);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "{Initiator} logged in to {Target} (TSIH {Tsih})")]
    public static partial void LoggedIn(this ILogger logger, string initiator, string target, ushort tsih);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Debug, Message = "Rejected a PDU with opcode {Opcode:X2}: {Reason}")]
    public static partial void Rejected(this ILogger logger, byte opcode, RejectReason reason);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Warning, Message = "A SCSI command failed unexpectedly")]
    public static partial void CommandFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Debug, Message = "Dropped a command with CmdSN {CmdSN} outside the window [{ExpCmdSN}, {MaxCmdSN}]")]
    public static partial void CommandOutsideWindow(this ILogger logger, uint cmdSN, uint expCmdSN, uint maxCmdSN);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Debug, Message = "The connection from {Remote} ended inside a PDU")]
    public static partial void TruncatedPdu(this ILogger logger, EndPoint? remote);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Information, Message = "Task management function {Function} on LUN {Lun}: response {Response}")]
    public static partial void TaskManagement(this ILogger logger, int function, int lun, int response);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Warning, Message = "Accepting a connection failed")]
    public static partial void AcceptFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Warning, Message = "The connection from {Remote} did not finish its login within {Timeout}: closed")]
    public static partial void LoginTimedOut(this ILogger logger, System.Net.EndPoint? remote, TimeSpan timeout);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Warning, Message = "The initiator at {Remote} sent nothing for {Timeout} after a NOP-In ping: connection closed")]
    public static partial void KeepAliveTimedOut(this ILogger logger, System.Net.EndPoint? remote, TimeSpan timeout);

    [LoggerMessage(EventId = 3031, Level = LogLevel.Debug, Message = "TASK SET FULL for {Remote}: {Tasks} tasks, {SessionBytes} bytes held by the session, {AllBytes} by all sessions")]
    public static partial void TaskSetFull(this ILogger logger, System.Net.EndPoint? remote, int tasks, long sessionBytes, long allBytes);

    [LoggerMessage(EventId = 3030, Level = LogLevel.Warning, Message = "The initiator at {Remote} took no data for {Timeout}: it stopped reading, connection closed")]
    public static partial void SendStalled(this ILogger logger, System.Net.EndPoint? remote, TimeSpan timeout);

    [LoggerMessage(EventId = 3016, Level = LogLevel.Warning, Message = "A handler of a session event failed; the session goes on")]
    public static partial void SessionEventHandlerFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3017, Level = LogLevel.Information, Message = "iSCSI portal on {EndPoint} stopping: {Connections} connections drain their commands for up to {Timeout}")]
    public static partial void PortalDraining(this ILogger logger, EndPoint endPoint, int connections, TimeSpan timeout);

    [LoggerMessage(EventId = 3018, Level = LogLevel.Warning, Message = "iSCSI portal on {EndPoint}: commands still running when the drain ended were aborted")]
    public static partial void DrainCutShort(this ILogger logger, EndPoint endPoint);
}
