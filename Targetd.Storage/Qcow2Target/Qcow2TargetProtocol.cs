using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Targetd.Storage.Operations;

namespace Targetd.Storage.Qcow2Target;

/// <summary>
/// The qcow2target socket protocol: one UTF-8 JSON object per line, <c>{"type": …, "command": {…}}</c>,
/// answered by one line <c>{"Type": …, "error": "", "result": {…}}</c>. <c>Type</c> echoes the request type
/// on success and is <c>EMPTY</c> for errors and for ADDTARGET/DELETETARGET, as in the original daemon.
/// A refused request gets a non-empty <c>error</c> and an empty <c>result</c>.
/// </summary>
/// <param name="service">The service the requests act on.</param>
/// <param name="logger">Where audit lines of state-changing requests go; none when null.</param>
public sealed class Qcow2TargetProtocol(Qcow2TargetService service, ILogger? logger = null)
{
    private static readonly HashSet<string> Types = new(["ATTACH", "DETACHLUN", "ADDTARGET", "DELETETARGET", "CLEARTARGET", "LIST"], StringComparer.Ordinal);
    private readonly ApiAudit _audit = new(logger ?? NullLogger.Instance, "qcow2target");

    /// <summary>The longest request line accepted.</summary>
    public const int MaxLineLength = 64 * 1024;

    private const string Empty = "EMPTY";

    /// <summary>The reply to a request line longer than <see cref="MaxLineLength"/>, after which the connection closes.</summary>
    public static string OversizedLineReply() => Reply(Empty, $"request longer than {MaxLineLength} bytes", []);

    /// <summary>Answers one request line (without its newline) with one reply line (without its newline).</summary>
    public Task<string> HandleLineAsync(string line, CancellationToken cancellationToken = default) =>
        HandleLineAsync(line, ApiCaller.From("local"), cancellationToken);

    /// <summary>
    /// Answers one request line in a log scope carrying the caller's request id; counts it in
    /// <see cref="StorageMetrics"/> and, for a request that changes state, writes an audit line.
    /// </summary>
    public async Task<string> HandleLineAsync(string line, ApiCaller caller, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(caller);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        using var scope = _audit.BeginCall(caller);
        var record = new JsonRpc.RpcCallRecord();
        string reply = await HandleCoreAsync(line, record, cancellationToken).ConfigureAwait(false);
        bool known = record.Method is { } type && Types.Contains(type);
        _audit.Completed(known ? record.Method! : "unknown", known && record.Method != "LIST", record.Parameters, caller, record.Error, start);
        return reply;
    }

    private async Task<string> HandleCoreAsync(string line, JsonRpc.RpcCallRecord record, CancellationToken cancellationToken)
    {
        string? type = null;
        try
        {
            if (line.Length > MaxLineLength)
            {
                record.Error = (string.Empty, "oversized");
                return OversizedLineReply();
            }

            var request = Parse(line);
            type = request["type"] is JValue { Type: JTokenType.String } t ? (string)t! : throw new Qcow2TargetException("request field 'type' must be a string");
            var command = request["command"];
            if (command is not null && command.Type is not (JTokenType.Object or JTokenType.Null))
            {
                throw new Qcow2TargetException("request field 'command' must be an object");
            }

            var arguments = command as JObject ?? [];
            record.Method = type;
            record.Parameters = arguments;
            var (replyType, result) = await DispatchAsync(type, arguments, cancellationToken).ConfigureAwait(false);
            return Reply(replyType, string.Empty, result);
        }
        catch (Qcow2TargetException ex)
        {
            record.Error = (string.Empty, ex.Message);
            return Reply(Empty, ex.Message, []);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A fault of ours must not take the daemon down: the client gets it as an error.
            string message = $"internal error handling {type ?? "request"}: {ex.Message}";
            record.Error = (string.Empty, message);
            return Reply(Empty, message, []);
        }
    }

    private async Task<(string Type, JObject Result)> DispatchAsync(string type, JObject command, CancellationToken cancellationToken)
    {
        switch (type)
        {
            case "ATTACH":
                int lun = await service.AttachAsync(String(command, "target_name"), String(command, "disk_path"), cancellationToken).ConfigureAwait(false);
                return (type, new JObject { ["lun_id"] = lun });
            case "DETACHLUN":
                string path = await service.DetachLunAsync(String(command, "target_name"), LunId(command), cancellationToken).ConfigureAwait(false);
                return (type, new JObject { ["file_path"] = path });
            case "ADDTARGET":
                await service.AddTargetAsync(String(command, "target_name"), cancellationToken).ConfigureAwait(false);
                return (Empty, []);
            case "DELETETARGET":
                await service.DeleteTargetAsync(String(command, "target_name"), cancellationToken).ConfigureAwait(false);
                return (Empty, []);
            case "CLEARTARGET":
                var freed = await service.ClearTargetAsync(String(command, "target_name"), cancellationToken).ConfigureAwait(false);
                return (type, new JObject { ["freed_logical_unit_paths"] = new JArray(freed) });
            case "LIST":
                var targets = new JObject();
                foreach (var target in service.List())
                {
                    targets[target.Name] = new JObject
                    {
                        ["target_id"] = target.Id,
                        ["logical_units"] = new JArray(target.LogicalUnits.Select(l => Unit(l.Lun, l.Path, target.Failures.GetValueOrDefault(l.Lun)))),
                        ["has_connections"] = target.HasConnections,
                        ["it_nexuses"] = new JArray(target.Nexuses),
                    };
                }

                return (type, targets);
            default:
                throw Qcow2TargetErrors.UnknownType(type);
        }
    }

    /// <summary>A LUN as LIST shows it; a disk that failed to open at start carries its <c>error</c> too (a field the original does not send).</summary>
    private static JObject Unit(int lun, string path, string? error)
    {
        var unit = new JObject { ["logical_unit_id"] = lun, ["file_path"] = path };
        if (error is not null)
        {
            unit["error"] = error;
        }

        return unit;
    }

    private static JObject Parse(string line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            throw new Qcow2TargetException("empty request");
        }

        try
        {
            using var reader = new JsonTextReader(new StringReader(line)) { MaxDepth = 16, DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Decimal };
            var token = JToken.ReadFrom(reader);
            if (reader.Read() && reader.TokenType != JsonToken.Comment)
            {
                throw new Qcow2TargetException("invalid JSON: more than one value on the line");
            }

            return token as JObject ?? throw new Qcow2TargetException("request must be a JSON object");
        }
        catch (JsonException ex)
        {
            throw new Qcow2TargetException($"invalid JSON: {ex.Message}");
        }
    }

    private static string String(JObject command, string name) =>
        command[name] switch
        {
            null or { Type: JTokenType.Null } => throw new Qcow2TargetException($"command field '{name}' is missing"),
            JValue { Type: JTokenType.String } value => (string)value!,
            _ => throw new Qcow2TargetException($"command field '{name}' must be a string"),
        };

    private static int LunId(JObject command) =>
        command["lun_id"] switch
        {
            null or { Type: JTokenType.Null } => throw new Qcow2TargetException("command field 'lun_id' is missing"),
            JValue { Type: JTokenType.Integer } value when value.Value is long n && n is >= 0 and < Qcow2TargetErrors.MaxLuns => (int)n,
            JValue { Type: JTokenType.Integer } => throw new Qcow2TargetException($"command field 'lun_id' must be between 0 and {Qcow2TargetErrors.MaxLuns - 1}"),
            _ => throw new Qcow2TargetException("command field 'lun_id' must be an integer"),
        };

    private static string Reply(string type, string error, JObject result) =>
        new JObject { ["Type"] = type, ["error"] = error, ["result"] = result }.ToString(Formatting.None);
}
