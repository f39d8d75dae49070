using System.Net.Http.Headers;
using System.Text;
using Newtonsoft.Json.Linq;

namespace Targetd.Tests.Support;

/// <summary>targetd's JSON-RPC over plain HTTP as admin:secret, the way its Python clients call it.</summary>
internal sealed class TargetdRpcClient(Uri baseAddress)
{
    /// <summary>Sends one request and returns the whole reply.</summary>
    public async Task<JObject> RequestAsync(string method, object parameters)
    {
        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:secret")));
        var request = new JObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method, ["params"] = JObject.FromObject(parameters) };
        using var response = await client.PostAsync("targetrpc", new StringContent(request.ToString()));
        return JObject.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Calls a method and asserts that it succeeded (or, with <paramref name="expectError"/>, that it failed).</summary>
    public async Task<JObject> CallAsync(string method, object parameters, bool expectError = false)
    {
        var reply = await RequestAsync(method, parameters);
        if (expectError)
        {
            reply["error"].Should().NotBeNull(reply.ToString());
        }
        else
        {
            reply["error"].Should().BeNull(reply.ToString());
        }

        return reply;
    }

    /// <summary>Calls a method that must succeed and returns its result.</summary>
    public async Task<JToken> ResultAsync(string method, object parameters) => (await CallAsync(method, parameters))["result"]!;

    /// <summary>Calls a method that must fail and returns its error code and message.</summary>
    public async Task<(int Code, string Message)> ErrorAsync(string method, object parameters)
    {
        var error = (await CallAsync(method, parameters, expectError: true))["error"]!;
        return (error.Value<int>("code"), error.Value<string>("message")!);
    }
}
