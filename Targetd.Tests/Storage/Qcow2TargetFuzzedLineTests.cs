using Newtonsoft.Json.Linq;
using Targetd.Iscsi;
using Targetd.Iscsi.Targets;
using Targetd.Storage.Qcow2Target;

namespace Targetd.Tests.Storage;

/// <summary>Protocol lines found by fuzzing (Targetd.Fuzz, harness qcow2target), against the real iSCSI target port.</summary>
public sealed class Qcow2TargetFuzzedLineTests
{
    private DirectoryInfo _root = null!;

    [SetUp]
    public void SetUp() => _root = Directory.CreateTempSubdirectory("targetd-fuzzed-line-");

    [TearDown]
    public void TearDown() => _root.Delete(recursive: true);

    // Names our loose check lets through that the iSCSI target refuses (no yyyy-mm date, a letter in the year).
    [TestCase("iqn.a024-01.net.example:t1")]
    [TestCase("iqn.2001.net.example:t1")]
    [TestCase("iqn.2024-011")]
    [TestCase("iqn.2021")]
    public async Task A_target_name_the_port_refuses_is_an_invalid_target_name_not_an_internal_error(string name)
    {
        var options = new Qcow2TargetOptions { DisksRoot = _root.CreateSubdirectory("disks").FullName };
        await using var service = new Qcow2TargetService(options, new IscsiTargetPort(new IscsiTargetRegistry()));
        var protocol = new Qcow2TargetProtocol(service);

        var reply = JObject.Parse(await protocol.HandleLineAsync("{\"type\": \"ADDTARGET\", \"command\": {\"target_name\": \"" + name + "\"}}"));

        ((string?)reply["error"]).Should().Be($"invalid target name '{name}': expected an iSCSI name (iqn., eui. or naa.) of at most 223 characters");
        JObject.Parse(await protocol.HandleLineAsync("{\"type\": \"LIST\"}")).ToString().Should().NotContain(name);
    }
}
