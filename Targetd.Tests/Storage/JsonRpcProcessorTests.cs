using Newtonsoft.Json.Linq;
using Targetd.Core.Errors;
using Targetd.Storage.JsonRpc;

namespace Targetd.Tests.Storage;

public sealed class JsonRpcProcessorTests
{
    private JsonRpcProcessor _processor = null!;
    private readonly List<string> _calls = [];

    [SetUp]
    public void SetUp()
    {
        _calls.Clear();
        _processor = new JsonRpcProcessor(
        [
            new RpcMethod("ping", [], (_, _) => Task.FromResult<JToken?>(null)),
            new RpcMethod("echo", [new("text", RpcKind.Text), new("count", RpcKind.WholeNumber, Required: false)], (args, _) =>
            {
                _calls.Add(args.Text("text"));
                return Task.FromResult<JToken?>(new JObject { ["text"] = args.Text("text"), ["count"] = args.OptionalWholeNumber("count") });
            }),
            new RpcMethod("fail", [], (_, _) => throw TargetdErrors.InvalidPool("p")),
            new RpcMethod("crash", [], (_, _) => throw new InvalidOperationException("kaboom")),
        ]);
    }

    [TearDown]
    public void TearDown() => _processor.Dispose();

    private async Task<JObject> CallAsync(string body) => JObject.Parse(await _processor.ProcessAsync(body));

    [Test]
    public async Task A_void_method_returns_result_null_and_the_keys_in_targetds_order()
    {
        string reply = await _processor.ProcessAsync("{\"jsonrpc\": \"2.0\", \"id\": 3, \"method\": \"ping\"}");

        reply.Should().Be("{\"result\":null,\"id\":3,\"jsonrpc\":\"2.0\"}");
    }

    [TestCase("null")]
    [TestCase("{}")]
    [TestCase("[]")]
    public async Task Empty_params_mean_none(string parameters)
    {
        var reply = await CallAsync("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"ping\", \"params\": " + parameters + "}");

        reply["result"]!.Type.Should().Be(JTokenType.Null);
    }

    [TestCase("42", "42")]
    [TestCase("\"42\"", "42")]
    [TestCase("1.9", "1")]
    [TestCase("true", "1")]
    [TestCase("-5", "-5")]
    [TestCase("0", "0")]
    [TestCase("123456789012345678901234567890123456789", "123456789012345678901234567890123456789")]
    public async Task The_id_is_echoed_as_an_integer_of_any_precision(string id, string echoed)
    {
        string reply = await _processor.ProcessAsync("{\"jsonrpc\": \"2.0\", \"id\": " + id + ", \"method\": \"ping\"}");

        reply.Should().Contain("\"id\":" + echoed + ",");
    }

    [TestCase("{\"jsonrpc\": \"2.0\", \"method\": \"ping\"}", -32600, "not a valid jsonrpc-2.0 request")]
    [TestCase("{\"jsonrpc\": \"2.0\", \"id\": \"abc\", \"method\": \"ping\"}", -32600, "not a valid jsonrpc-2.0 request")]
    [TestCase("{\"jsonrpc\": \"1.0\", \"id\": 1, \"method\": \"ping\"}", -32600, "not a valid jsonrpc-2.0 request")]
    [TestCase("{\"jsonrpc\": \"2.0\", \"id\": 1}", -32600, "not a valid jsonrpc-2.0 request")]
    [TestCase("{\"jsonrpc\": \"2.0\", \"id\": null, \"method\": \"ping\"}", -1, "jsonrpc error")]
    [TestCase("[{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"ping\"}]", -1, "jsonrpc error")]
    [TestCase("42", -1, "jsonrpc error")]
    [TestCase("{not json", -32700, "parse error")]
    [TestCase("", -32700, "parse error")]
    public async Task Envelope_errors_have_targetds_codes_and_id_zero(string body, int code, string message)
    {
        var reply = await CallAsync(body);

        ((int)reply["error"]!["code"]!).Should().Be(code);
        ((string?)reply["error"]!["message"]).Should().Be(message);
        ((int)reply["id"]!).Should().Be(0);
        reply.Properties().Select(p => p.Name).Should().Equal("error", "id", "jsonrpc");
    }

    [TestCase("{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": \"nope\"}", -32601, "method nope not found")]
    [TestCase("{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": \"nope\", \"params\": [1]}", -32601, "method nope not found")]
    [TestCase("{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": \"echo\"}", -32602, "invalid method arguments(s)")]
    [TestCase("{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": \"echo\", \"params\": {\"text\": \"a\", \"extra\": 1}}", -32602, "invalid method arguments(s)")]
    [TestCase("{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": \"echo\", \"params\": {\"text\": 5}}", -32602, "invalid method arguments(s)")]
    [TestCase("{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": \"echo\", \"params\": {\"text\": \"a\", \"count\": \"3\"}}", -32602, "invalid method arguments(s)")]
    [TestCase("{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": \"echo\", \"params\": [\"a\"]}", -32602, "invalid method arguments(s)")]
    [TestCase("{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": \"fail\"}", -110, "Invalid pool (p)")]
    [TestCase("{\"jsonrpc\": \"2.0\", \"id\": 7, \"method\": \"crash\"}", -1, "InvalidOperationException: kaboom")]
    public async Task Method_errors_keep_the_callers_id(string body, int code, string message)
    {
        var reply = await CallAsync(body);

        ((int)reply["error"]!["code"]!).Should().Be(code);
        ((string?)reply["error"]!["message"]).Should().Be(message);
        ((int)reply["id"]!).Should().Be(7);
        _calls.Should().BeEmpty("a refused call runs nothing");
    }

    [Test]
    public async Task Named_params_reach_the_method_with_their_types()
    {
        var reply = await CallAsync("{\"jsonrpc\": \"2.0\", \"id\": 9, \"method\": \"echo\", \"params\": {\"text\": \"hi\", \"count\": 4.0}}");

        ((string?)reply["result"]!["text"]).Should().Be("hi");
        ((long)reply["result"]!["count"]!).Should().Be(4);
    }
}
