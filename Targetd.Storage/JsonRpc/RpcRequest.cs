using Newtonsoft.Json.Linq;

namespace Targetd.Storage.JsonRpc;

/// <summary>Method table entries whose implementation takes a typed request record instead of raw arguments.</summary>
internal static class RpcRequest
{
    /// <summary>A method that answers <typeparamref name="TRequest"/> with a result.</summary>
    public static RpcMethod Method<TRequest>(string name, Func<TRequest, CancellationToken, Task<JToken?>> handler)
        where TRequest : IRpcRequest<TRequest> =>
        new(name, TRequest.Parameters, (arguments, cancellationToken) => handler(TRequest.Bind(arguments), cancellationToken));

    /// <summary>A void method (its result is <c>null</c>) that acts on <typeparamref name="TRequest"/>.</summary>
    public static RpcMethod Command<TRequest>(string name, Func<TRequest, CancellationToken, Task> handler)
        where TRequest : IRpcRequest<TRequest> =>
        Method<TRequest>(name, async (request, cancellationToken) =>
        {
            await handler(request, cancellationToken).ConfigureAwait(false);
            return null;
        });
}
