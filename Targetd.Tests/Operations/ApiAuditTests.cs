using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using Targetd.Core.Errors;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Operations;
using Targetd.Storage.Qcow2Target;
using Targetd.Tests.Support;

namespace Targetd.Tests.Operations;

[NonParallelizable]
public sealed class ApiAuditTests
{
    private const string Secret = "s3cr3t-chap-password";

    private static JsonRpcProcessor Processor(CollectingLogger logger) => new(
    [
        new RpcMethod("initiator_set_auth", [new("initiator_wwn", RpcKind.Text), new("in_user", RpcKind.Text), new("in_pass", RpcKind.Text)], (_, _) =>
        {
            logger.Log(LogLevel.Information, default, "setting the secret", null, (state, _) => state);
            return Task.FromResult<JToken?>(null);
        }),
        new RpcMethod("vol_list", [], (_, _) => Task.FromResult<JToken?>(new JArray())),
        new RpcMethod("vol_destroy", [new("pool", RpcKind.Text)], (_, _) => throw TargetdErrors.InvalidPool("p")),
    ], logger);

    private static string Call(string method, JObject parameters) =>
        new JObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method, ["params"] = parameters }.ToString();

    [Test]
    public async Task A_state_changing_call_is_audited_with_its_secrets_masked_and_its_request_id()
    {
        var logger = new CollectingLogger();
        using var processor = Processor(logger);
        var caller = new ApiCaller("0123456789abcdef", "192.0.2.7");

        await processor.ProcessAsync(Call("initiator_set_auth", new JObject { ["initiator_wwn"] = "iqn.2024-01.org.example:h1", ["in_user"] = "u", ["in_pass"] = Secret }), caller);

        var audit = logger.Entries.Should().ContainSingle(e => e.Message.StartsWith("audit:", StringComparison.Ordinal)).Subject;
        audit.Fields["Method"].Should().Be("initiator_set_auth");
        audit.Fields["Caller"].Should().Be("192.0.2.7");
        audit.Fields["RequestId"].Should().Be("0123456789abcdef");
        JObject.Parse(audit.Fields["Arguments"]!)["in_pass"]!.ToString().Should().Be("***");
        JObject.Parse(audit.Fields["Arguments"]!)["in_user"]!.ToString().Should().Be("u");
        audit.Message.Should().EndWith(": ok");
        logger.Entries.Single(e => e.Message == "setting the secret").Scopes.Should().Contain("request 0123456789abcdef");
        logger.Entries.Should().NotContain(e => e.Message.Contains(Secret, StringComparison.Ordinal) || e.Fields.Values.Any(v => v != null && v.Contains(Secret, StringComparison.Ordinal)));
    }

    [Test]
    public async Task A_refused_call_is_audited_with_its_error_and_a_list_is_not_audited()
    {
        var logger = new CollectingLogger();
        using var processor = Processor(logger);
        using var recorded = new RecordedMeasurements(StorageMetrics.MeterName);

        await processor.ProcessAsync(Call("vol_list", []), ApiCaller.From("192.0.2.8"));
        await processor.ProcessAsync(Call("vol_destroy", new JObject { ["pool"] = "nope" }), ApiCaller.From("192.0.2.8"));
        await processor.ProcessAsync(Call("no_such_method", []), ApiCaller.From("192.0.2.8"));

        var audit = logger.Entries.Should().ContainSingle(e => e.Message.StartsWith("audit:", StringComparison.Ordinal)).Subject;
        audit.Fields["Method"].Should().Be("vol_destroy");
        audit.Fields["Code"].Should().Be(((int)TargetdErrorCode.InvalidPool).ToString(System.Globalization.CultureInfo.InvariantCulture));
        recorded.Of("api.requests", ("api", "jsonrpc"), ("method", "vol_list"), ("result", "ok")).Should().Equal(1);
        recorded.Of("api.requests", ("api", "jsonrpc"), ("method", "vol_destroy"), ("result", "error")).Should().Equal(1);
        recorded.Of("api.requests", ("api", "jsonrpc"), ("method", "unknown"), ("result", "error")).Should().Equal(1);
        recorded.Of("api.request.duration", ("api", "jsonrpc"), ("method", "vol_list")).Should().ContainSingle();
    }

    [Test]
    public async Task A_socket_request_is_audited_and_a_list_is_only_counted()
    {
        var logger = new CollectingLogger();
        string root = Directory.CreateTempSubdirectory("targetd-audit-").FullName;
        try
        {
            await using var service = new Qcow2TargetService(new Qcow2TargetOptions { DisksRoot = root }, new Storage.FakeIscsiTargetPort());
            var protocol = new Qcow2TargetProtocol(service, logger);
            using var recorded = new RecordedMeasurements(StorageMetrics.MeterName);

            await protocol.HandleLineAsync("""{"type": "ADDTARGET", "command": {"target_name": "iqn.2024-01.org.example:audit"}}""", new ApiCaller("feedfacefeedface", "pid 1 uid 0"));
            await protocol.HandleLineAsync("""{"type": "LIST"}""", ApiCaller.From("pid 1 uid 0"));
            await protocol.HandleLineAsync("not json", ApiCaller.From("pid 1 uid 0"));

            var audit = logger.Entries.Should().ContainSingle(e => e.Message.StartsWith("audit:", StringComparison.Ordinal)).Subject;
            audit.Message.Should().Be("""audit: qcow2target ADDTARGET {"target_name":"iqn.2024-01.org.example:audit"} from pid 1 uid 0 (request feedfacefeedface): ok""");
            recorded.Of("api.requests", ("api", "qcow2target"), ("method", "LIST"), ("result", "ok")).Should().Equal(1);
            recorded.Of("api.requests", ("api", "qcow2target"), ("method", "unknown"), ("result", "error")).Should().Equal(1);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [TestCase("in_pass", true)]
    [TestCase("mutual_chap_password", true)]
    [TestCase("client_secret", true)]
    [TestCase("initiator_wwn", false)]
    public void Keys_naming_a_password_or_secret_are_masked(string key, bool masked)
    {
        string shown = SecretMask.Apply(new JObject { [key] = "value", ["nested"] = new JArray(new JObject { [key] = "value" }) });

        shown.Contains("value", StringComparison.Ordinal).Should().Be(!masked);
    }
}
