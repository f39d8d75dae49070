using Newtonsoft.Json.Linq;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Targetd.Requests;

namespace Targetd.Tests.Storage;

/// <summary>targetd methods bind their checked params into typed request records.</summary>
public sealed class TargetdRequestBindingTests
{
    private static async Task<T> BindAsync<T>(string parameters)
        where T : IRpcRequest<T>
    {
        T? bound = default;
        using var rpc = new JsonRpcProcessor([RpcRequest.Command<T>("m", (request, _) =>
        {
            bound = request;
            return Task.CompletedTask;
        })]);
        var reply = JObject.Parse(await rpc.ProcessAsync($$"""{"jsonrpc":"2.0","id":1,"method":"m","params":{{parameters}}}"""));
        reply["error"].Should().BeNull(reply.ToString());
        return bound!;
    }

    [Test]
    public async Task A_copy_request_takes_a_whole_float_size_and_ignores_the_timeout() =>
        (await BindAsync<VolumeCopyRequest>("""{"pool":"vg","vol_orig":"a","vol_new":"b","size":2048.0,"timeout":5}"""))
            .Should().Be(new VolumeCopyRequest("vg", "a", "b", 2048));

    [Test]
    public async Task Absent_or_null_optional_params_bind_as_null() =>
        (await BindAsync<AccessGroupMapCreateRequest>("""{"pool_name":"vg","vol_name":"v","ag_name":"g","h_lun_id":null}"""))
            .Should().Be(new AccessGroupMapCreateRequest("vg", "v", "g", null));

    [Test]
    public async Task Credentials_bind_with_nulls_kept() =>
        (await BindAsync<InitiatorAuthRequest>("""{"initiator_wwn":"iqn.2024-01.org.example:a","in_user":"u","in_pass":"p","out_user":null,"out_pass":null}"""))
            .Should().Be(new InitiatorAuthRequest("iqn.2024-01.org.example:a", "u", "p", null, null));

    [Test]
    public async Task A_wrongly_typed_param_is_refused_before_binding()
    {
        bool called = false;
        using var rpc = new JsonRpcProcessor([RpcRequest.Command<VolumeSizeRequest>("vol_create", (_, _) =>
        {
            called = true;
            return Task.CompletedTask;
        })]);

        var reply = JObject.Parse(await rpc.ProcessAsync("""{"jsonrpc":"2.0","id":1,"method":"vol_create","params":{"pool":"vg","name":"v","size":"big"}}"""));

        ((int?)reply["error"]?["code"]).Should().Be(-32602);
        called.Should().BeFalse();
    }
}
