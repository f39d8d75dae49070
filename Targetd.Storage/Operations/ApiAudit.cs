using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;

namespace Targetd.Storage.Operations;

/// <summary>
/// What every control API call leaves behind: a log scope carrying its request id, the request metrics, and for a
/// call that changes state an audit line (method, arguments with secrets masked, caller, result).
/// </summary>
internal sealed partial class ApiAudit(ILogger logger, string api)
{
    public IDisposable? BeginCall(ApiCaller caller) => logger.BeginScope(new RequestScope(caller.RequestId));

    /// <param name="method">The method, or "unknown" for a name the API does not serve (bounded metric tags).</param>
    /// <param name="changesState">Whether the call is audited.</param>
    /// <param name="arguments">The call's arguments.</param>
    /// <param name="caller">Who called.</param>
    /// <param name="error">Null on success; the error code (empty when the API has none) and message otherwise.</param>
    /// <param name="startTimestamp">When the call arrived (<see cref="Stopwatch.GetTimestamp"/>).</param>
    public void Completed(string method, bool changesState, JToken? arguments, ApiCaller caller, (string Code, string Message)? error, long startTimestamp)
    {
        var apiTag = new KeyValuePair<string, object?>("api", api);
        var methodTag = new KeyValuePair<string, object?>("method", method);
        StorageMetrics.Requests.Add(1, apiTag, methodTag, new("result", error is null ? "ok" : "error"), new("code", error?.Code ?? string.Empty));
        StorageMetrics.RequestDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, apiTag, methodTag);
        if (!changesState)
        {
            return;
        }

        string masked = SecretMask.Apply(arguments);
        if (error is { } failure)
        {
            LogRefused(api, method, masked, caller.Address, caller.RequestId, failure.Code, failure.Message);
        }
        else
        {
            LogDone(api, method, masked, caller.Address, caller.RequestId);
        }
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "audit: {Api} {Method} {Arguments} from {Caller} (request {RequestId}): ok")]
    private partial void LogDone(string api, string method, string arguments, string caller, string requestId);

    [LoggerMessage(EventId = 901, Level = LogLevel.Information, Message = "audit: {Api} {Method} {Arguments} from {Caller} (request {RequestId}): error {Code} {Error}")]
    private partial void LogRefused(string api, string method, string arguments, string caller, string requestId, string code, string error);
}
