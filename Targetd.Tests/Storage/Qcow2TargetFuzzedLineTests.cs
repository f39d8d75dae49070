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

    [Test]
    public async Task A_state_file_naming_a_target_the_port_refuses_restores_the_others()
    {
        var options = new Qcow2TargetOptions { DisksRoot = _root.CreateSubdirectory("disks").FullName, StateFile = Path.Combine(_root.FullName, "state.json") };
        await using (var before = new Qcow2TargetService(options, new IscsiTargetPort(new IscsiTargetRegistry())))
        {
            await before.AddTargetAsync("iqn.2024-01.net.example:good");
            await before.AddTargetAsync("iqn.2024-01.net.example:bad");
        }

        var state = await File.ReadAllTextAsync(options.StateFile);
        state.Should().Contain("iqn.2024-01.net.example:bad");
        await File.WriteAllTextAsync(options.StateFile, state.Replace("iqn.2024-01.net.example:bad", "iqn.2021", StringComparison.Ordinal));

        var registry = new IscsiTargetRegistry();
        await using var after = new Qcow2TargetService(options, new IscsiTargetPort(registry));
        await after.RestoreAsync();

        after.List().Select(t => t.Name).Should().Equal("iqn.2024-01.net.example:good");
        registry.Targets.Select(t => t.Name).Should().Equal("iqn.2024-01.net.example:good");
    }
}
