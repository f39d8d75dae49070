using System.Net.Http.Headers;
using System.Text;
using Newtonsoft.Json.Linq;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage;

/// <summary>Exports made through the targetd API, seen by real initiators: ACLs and CHAP enforced, writes land in the volume.</summary>
[Category("Interop")]
[NonParallelizable]
public sealed class TargetdExportInteropTests
{
    private const string A = "iqn.2024-01.org.example:initiator-a";
    private const string B = "iqn.2024-01.org.example:initiator-b";

    [Test]
    [CancelAfter(120_000)]
    public async Task An_export_is_visible_to_its_initiator_only_and_chap_is_enforced()
    {
        ExternalTool.Require("iscsi-inq");
        ExternalTool.Require("qemu-io");
        var folder = Directory.CreateTempSubdirectory("targetd-export-e2e-");
        try
        {
            await using var targetd = await TargetdProcess.StartAsync(folder.FullName);
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{targetd.Port}/") };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:secret")));
            async Task<JObject> Call(string method, object parameters)
            {
                var request = new JObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method, ["params"] = JObject.FromObject(parameters) };
                using var response = await client.PostAsync("targetrpc", new StringContent(request.ToString()));
                var reply = JObject.Parse(await response.Content.ReadAsStringAsync());
                reply["error"].Should().BeNull(reply.ToString());
                return reply;
            }

            await Call("vol_create", new { pool = "images", name = "disk1", size = 16L << 20 });
            await Call("export_create", new { pool = "images", vol = "disk1", initiator_wwn = A, lun = 5 });
            string url = $"iscsi://127.0.0.1:{targetd.PortalPort}/{TargetdProcess.TargetName}/5";

            var seen = await ExternalTool.RunAsync("iscsi-inq", "-i", A, url);
            var other = await ExternalTool.RunAsync("iscsi-inq", "-i", B, url);
            seen.ExitCode.Should().Be(0, seen.StandardOutput + seen.StandardError);
            seen.StandardOutput.Should().Contain("DIRECT_ACCESS");
            other.ExitCode.Should().NotBe(0, "initiator B has no ACL on the target");

            string driver = $"driver=iscsi,transport=tcp,portal=127.0.0.1:{targetd.PortalPort},target={TargetdProcess.TargetName},lun=5,initiator-name={A}";
            await ExternalTool.RunOkAsync("qemu-io", "--image-opts", "-c", "write -P 0x5a 1M 64k", driver);

            await Call("initiator_set_auth", new { initiator_wwn = A, in_user = "alice", in_pass = "alicesecret12", out_user = (string?)null, out_pass = (string?)null });
            var noChap = await ExternalTool.RunAsync("iscsi-inq", "-i", A, url);
            var wrongChap = await ExternalTool.RunAsync("iscsi-inq", "-i", A, $"iscsi://alice%wrongsecret99@127.0.0.1:{targetd.PortalPort}/{TargetdProcess.TargetName}/5");
            var rightChap = await ExternalTool.RunAsync("iscsi-inq", "-i", A, $"iscsi://alice%alicesecret12@127.0.0.1:{targetd.PortalPort}/{TargetdProcess.TargetName}/5");
            noChap.ExitCode.Should().NotBe(0, "CHAP is enforced once set");
            wrongChap.ExitCode.Should().NotBe(0, "a wrong secret is refused");
            rightChap.ExitCode.Should().Be(0, rightChap.StandardOutput + rightChap.StandardError);

            await Call("export_destroy", new { pool = "images", vol = "disk1", initiator_wwn = A });
            string image = Path.Combine(folder.FullName, "images", "disk1.qcow2");
            (await ExternalTool.RunAsync("qemu-img", "check", image)).ExitCode.Should().Be(0);
            await ExternalTool.RunOkAsync("qemu-io", "-c", "read -P 0x5a 1M 64k", image);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
