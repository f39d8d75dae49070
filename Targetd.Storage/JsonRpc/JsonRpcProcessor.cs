using System.Globalization;
using System.Numerics;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Targetd.Core.Errors;
using Targetd.Storage.Errors;
using Targetd.Storage.Operations;
using Targetd.Storage.Targetd;

namespace Targetd.Storage.JsonRpc;

/// <summary>
/// JSON-RPC 2.0 as targetd speaks it (targetd 0.10, main.py <c>do_POST</c>): one request object per body,
/// named parameters only, <c>id</c> echoed as an integer of any precision, and replies
/// <c>{"result"|"error", "id", "jsonrpc"}</c> with <c>"result": null</c> for void methods. Calls run one at a
/// time, as targetd runs them under one lock.
/// </summary>
public sealed class JsonRpcProcessor : IDisposable
{
    private const string InvalidArguments = "invalid method arguments(s)";
    private readonly Dictionary<string, RpcMethod> _methods;
    private readonly SemaphoreSlim _serial = new(1, 1);
    private readonly ApiAudit _audit;

    /// <summary>The call being answered, as far as it was read (the record flows into the awaited calls, which fill it in).</summary>
    private readonly AsyncLocal<RpcCallRecord?> _call = new();

    /// <summary>Creates a processor for a method table.</summary>
    /// <param name="methods">The methods served.</param>
    /// <param name="logger">Where audit lines of state-changing calls go; none when null.</param>
    internal JsonRpcProcessor(IEnumerable<RpcMethod> methods, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(methods);
        _methods = methods.ToDictionary(m => m.Name, StringComparer.Ordinal);
        _audit = new ApiAudit(logger ?? NullLogger.Instance, "jsonrpc");
    }

    /// <inheritdoc />
    public void Dispose() => _serial.Dispose();

    /// <summary>The method names served.</summary>
    public IReadOnlyCollection<string> MethodNames => _methods.Keys;

    /// <summary>Answers one request body with one reply body.</summary>
    public Task<string> ProcessAsync(string body, CancellationToken cancellationToken = default) =>
        ProcessAsync(body, ApiCaller.From("local"), cancellationToken);

    /// <summary>
    /// Answers one request body with one reply body, in a log scope carrying the caller's request id; counts the
    /// call in <see cref="StorageMetrics"/> and, for a method that changes state, writes an audit line.
    /// </summary>
    public async Task<string> ProcessAsync(string body, ApiCaller caller, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(caller);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        using var scope = _audit.BeginCall(caller);
        var record = new RpcCallRecord();
        _call.Value = record;
        string reply = await ProcessCoreAsync(body, cancellationToken).ConfigureAwait(false);
        bool known = record.Method is { } method && _methods.ContainsKey(method);
        _audit.Completed(known ? record.Method! : "unknown", known && !record.Method!.EndsWith("_list", StringComparison.Ordinal), record.Parameters, caller, record.Error, start);
        return reply;
    }

    private async Task<string> ProcessCoreAsync(string body, CancellationToken cancellationToken)
    {
        JToken request;
        try
        {
            using var reader = new JsonTextReader(new StringReader(body)) { MaxDepth = 64, DateParseHandling = DateParseHandling.None, FloatParseHandling = FloatParseHandling.Decimal };
            request = JToken.ReadFrom(reader);
            if (reader.Read())
            {
                return Error(BigInteger.Zero, TargetdErrorCode.ParseError, "parse error");
            }
        }
        catch (JsonException)
        {
            return Error(BigInteger.Zero, TargetdErrorCode.ParseError, "parse error");
        }

        // Batches and scalars are not requests targetd can take (§2.1: -1 "jsonrpc error").
        if (request is not JObject call)
        {
            return Error(BigInteger.Zero, TargetdErrorCode.Invalid, "jsonrpc error");
        }

        if ((string?)(call["jsonrpc"] as JValue) != "2.0" || call["method"] is not JValue { Type: JTokenType.String } methodToken)
        {
            return Error(BigInteger.Zero, TargetdErrorCode.InvalidRequest, "not a valid jsonrpc-2.0 request");
        }

        if (call["id"] is { Type: JTokenType.Null })
        {
            return Error(BigInteger.Zero, TargetdErrorCode.Invalid, "jsonrpc error");
        }

        if (!TryReadId(call["id"], out var id))
        {
            return Error(BigInteger.Zero, TargetdErrorCode.InvalidRequest, "not a valid jsonrpc-2.0 request");
        }

        string methodName = (string)methodToken!;
        if (_call.Value is { } record)
        {
            record.Method = methodName;
            record.Parameters = call["params"];
        }

        if (!_methods.TryGetValue(methodName, out var method))
        {
            return Error(id, TargetdErrorCode.MethodNotFound, $"method {methodName} not found");
        }

        if (!TryBindArguments(method, call["params"], out var arguments))
        {
            return Error(id, TargetdErrorCode.InvalidArgument, InvalidArguments);
        }

        await _serial.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await method.Invoke(arguments, cancellationToken).ConfigureAwait(false);
            return Result(id, result);
        }
        catch (TargetdException ex)
        {
            return Error(id, ex.Code, ex.Message);
        }
        catch (StorageException ex)
        {
            return Error(id, StorageErrorCodes.CodeOf(ex.Kind), ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Error(id, TargetdErrorCode.Invalid, $"{ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            _serial.Release();
        }
    }

    /// <summary><c>id</c> as Python's <c>int()</c> reads it: integers of any size, numeric strings, floats truncated, booleans.</summary>
    private static bool TryReadId(JToken? token, out BigInteger id)
    {
        id = BigInteger.Zero;
        switch (token)
        {
            case JValue { Type: JTokenType.Integer } integer:
                id = integer.Value is BigInteger big ? big : new BigInteger(Convert.ToInt64(integer.Value, CultureInfo.InvariantCulture));
                return true;
            case JValue { Type: JTokenType.Float } number:
                id = new BigInteger(decimal.Truncate(Convert.ToDecimal(number.Value, CultureInfo.InvariantCulture)));
                return true;
            case JValue { Type: JTokenType.Boolean } boolean:
                id = (bool)boolean ? BigInteger.One : BigInteger.Zero;
                return true;
            case JValue { Type: JTokenType.String } text:
                return BigInteger.TryParse(((string)text!).Trim().Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out id);
            default:
                return false;
        }
    }

    private static bool TryBindArguments(RpcMethod method, JToken? parameters, out RpcArguments arguments)
    {
        var values = new Dictionary<string, JToken?>(StringComparer.Ordinal);
        arguments = new RpcArguments(values);
        switch (parameters)
        {
            case null or { Type: JTokenType.Null }:
            case JArray { Count: 0 }:
                break;
            case JObject named:
                foreach (var (key, value) in named)
                {
                    values[key] = value;
                }

                break;
            default:
                return false; // positional parameters are not supported
        }

        if (values.Keys.Any(k => method.Parameters.All(p => p.Name != k)))
        {
            return false;
        }

        foreach (var parameter in method.Parameters)
        {
            if (!values.TryGetValue(parameter.Name, out var value))
            {
                if (parameter.Required)
                {
                    return false;
                }

                continue;
            }

            bool valid = value switch
            {
                null or { Type: JTokenType.Null } => parameter.Nullable || parameter.Kind == RpcKind.Any,
                _ => parameter.Kind switch
                {
                    RpcKind.Text => value.Type == JTokenType.String,
                    RpcKind.WholeNumber => value.Type == JTokenType.Integer && value is JValue { Value: long } || IsWholeFloat(value),
                    _ => true,
                },
            };
            if (!valid)
            {
                return false;
            }

            if (parameter.Kind == RpcKind.WholeNumber && value is { Type: JTokenType.Float })
            {
                values[parameter.Name] = new JValue((long)(decimal)value);
            }
        }

        return true;
    }

    private static bool IsWholeFloat(JToken value) =>
        value is JValue { Type: JTokenType.Float, Value: decimal d } && decimal.Truncate(d) == d && d >= long.MinValue && d <= long.MaxValue;

    private static string Result(BigInteger id, JToken? result) =>
        new JObject { ["result"] = result ?? JValue.CreateNull(), ["id"] = new JValue(id), ["jsonrpc"] = "2.0" }.ToString(Formatting.None);

    private string Error(BigInteger id, TargetdErrorCode code, string message)
    {
        _call.Value?.Error = (((int)code).ToString(CultureInfo.InvariantCulture), message);
        return ErrorReply(id, code, message);
    }

    private static string ErrorReply(BigInteger id, TargetdErrorCode code, string message) =>
        new JObject { ["error"] = new JObject { ["code"] = (int)code, ["message"] = message }, ["id"] = new JValue(id), ["jsonrpc"] = "2.0" }.ToString(Formatting.None);
}
