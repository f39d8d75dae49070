using Newtonsoft.Json.Linq;
using Targetd.Core.Processes;
using Targetd.Storage.Pools.Zfs;
using Targetd.Storage.Targetd;

namespace Targetd.Tests.Storage.Zfs;

/// <summary>What a targetd client sees of a ZFS block pool: the wire format of <c>pool_list</c> and <c>vol_list</c>, and the codes of refusals.</summary>
public sealed class ZfsApiTests
{
    [Test]
    public async Task Pool_list_sends_the_guid_as_a_json_number_and_vol_list_as_a_string()
    {
        var runner = new RecordingProcessRunner()
            .Replies("get -Hp -t all available,used,guid tank/block", ZfsOutputs.GetBlockPoolStdout)
            .Replies("get -Hpr -t volume volsize,guid tank/block", ZfsOutputs.GetVolumesStdout);
        await using var service = await StartAsync(runner, copyEnabled: false);

        string pools = await service.Processor.ProcessAsync(Request("pool_list", new { }));
        var volumes = JObject.Parse(await service.Processor.ProcessAsync(Request("vol_list", new { pool = "tank/block" })));

        pools.Should().Contain("\"uuid\":15259515872978363923", "targetd sends int(guid), a number up to 2^64-1");
        volumes["result"]![0]!["uuid"]!.Type.Should().Be(JTokenType.String);
        volumes["result"]![0]!.Value<string>("uuid").Should().Be("8310087760735301518");
    }

    [Test]
    public async Task Refusals_reach_the_client_with_targetds_codes_and_messages()
    {
        var runner = new RecordingProcessRunner()
            .Replies("get -Hpr -t volume volsize,guid tank/block", ZfsOutputs.GetVolumesWithClonesStdout)
            .Replies("destroy -r tank/block/vol1", ZfsOutputs.DestroyVolumeWithClonesStdout, ZfsOutputs.DestroyVolumeWithClonesStderr, ZfsOutputs.DestroyVolumeWithClonesExitCode);
        await using var service = await StartAsync(runner, copyEnabled: false);

        (await ErrorAsync(service, "vol_copy", new { pool = "tank/block", vol_orig = "vol1", vol_new = "c" }))
            .Should().Be((-153, "Copy on ZFS disabled. Consult manual before enabling it."));
        (await ErrorAsync(service, "vol_destroy", new { pool = "tank/block", name = "vol1" }))
            .Should().Be((-32602, "Volume vol1 on tank/block has dependent clones and cannot be destroyed."));
        (await ErrorAsync(service, "vol_create", new { pool = "tank/block", name = "vol1", size = 1 << 20 }))
            .Should().Be((-50, "Volume with that name exists"));
        (await ErrorAsync(service, "vol_create", new { pool = "tank/block", name = ".dot", size = 1 << 20 })).Code.Should().Be(-32602);
        (await ErrorAsync(service, "vol_destroy", new { pool = "tank/block", name = "missing" })).Code.Should().Be(-103);
    }

    private static async Task<TargetdService> StartAsync(RecordingProcessRunner runner, bool copyEnabled) =>
        await TargetdService.StartAsync(new TargetdServiceOptions
        {
            TargetName = "iqn.2024-01.net.targetd:zfs",
            TargetPort = new FakeIscsiTargetPort(),
            BlockPools = [new ZfsBlockPool("tank/block", runner, copyEnabled)],
        });

    private static async Task<(int Code, string Message)> ErrorAsync(TargetdService service, string method, object parameters)
    {
        var error = JObject.Parse(await service.Processor.ProcessAsync(Request(method, parameters)))["error"]!;
        return ((int)error["code"]!, (string)error["message"]!);
    }

    private static string Request(string method, object parameters) =>
        new JObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method, ["params"] = JObject.FromObject(parameters) }.ToString();
}
