using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Targetd.Storage.JsonRpc;

namespace Targetd.Host.Http;

/// <summary>
/// <c>POST /targetrpc</c>: Basic auth first (401 with <c>WWW-Authenticate</c> after a throttling delay),
/// then the path, then a body of at most 128 KiB (413), answered with <c>Content-Type: application/json</c>
/// exactly, as targetd answers.
/// </summary>
internal sealed partial class TargetRpcEndpoint(JsonRpcProcessor processor, BasicCredentials credentials, FailedLoginThrottle throttle, ILogger<TargetRpcEndpoint> logger)
{
    public const int MaxBodyBytes = 128 * 1024;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        if (!HttpMethods.IsPost(request.Method))
        {
            response.StatusCode = StatusCodes.Status501NotImplemented;
            return;
        }

        switch (credentials.Verify(request.Headers.Authorization))
        {
            case BasicCredentials.Check.Missing:
                Challenge(response);
                return;
            case BasicCredentials.Check.Malformed:
                response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            case BasicCredentials.Check.Wrong:
                LogFailedLogin(context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
                await throttle.DelayAsync(context.Connection.RemoteIpAddress, context.RequestAborted).ConfigureAwait(false);
                Challenge(response);
                return;
        }

        if (request.Path != "/targetrpc" || request.QueryString.HasValue)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize = MaxBodyBytes;
        string body;
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            body = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }
        catch (DecoderFallbackException)
        {
            body = "\u0000"; // not JSON: answered as a parse error
        }

        var caller = Storage.Operations.ApiCaller.From(context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        response.Headers["X-Request-Id"] = caller.RequestId;
        string reply = await processor.ProcessAsync(body, caller, context.RequestAborted).ConfigureAwait(false);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        await response.WriteAsync(reply, context.RequestAborted).ConfigureAwait(false);
    }

    private static void Challenge(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.Headers.WWWAuthenticate = "Basic realm=\"targetd\"";
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Failed login from {Client}")]
    private partial void LogFailedLogin(string client);
}
