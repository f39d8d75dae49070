using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Targetd.Storage.Pools.FileSystems;
using Targetd.Storage.Pools.Images;
using Targetd.Storage.Qcow2Target;
using Targetd.Storage.State;
using Targetd.Storage.Targetd;

namespace Targetd.Tests.Storage.State;

/// <summary>
/// The state documents written and read field by field (so they survive trimming) keep the format the same types
/// had when they were bound by reflection: files written by earlier versions load, and new files read the same.
/// </summary>
public sealed class StateDocumentJsonTests
{
    private static readonly JsonSerializerSettings Reflection = new() { NullValueHandling = NullValueHandling.Ignore };

    private DirectoryInfo _folder = null!;

    [SetUp]
    public void SetUp() => _folder = Directory.CreateTempSubdirectory("targetd-state-json-");

    [TearDown]
    public void TearDown() => _folder.Delete(recursive: true);

    [Test]
    public void The_export_state_is_written_and_read_as_reflection_did()
    {
        var state = new ExportState()
            .With("iqn.2024-01.org.example:a", new ExportState.InitiatorRecord
            {
                Chap = new ExportState.ChapRecord("alice", "secret12", "target", "secret34"),
                Mappings = [new ExportState.MappingRecord(3, "vg", "lv1"), new ExportState.MappingRecord(0, "images", "disk")],
            })
            .With("iqn.2024-01.org.example:b", new ExportState.InitiatorRecord { Group = "hosts", Chap = new ExportState.ChapRecord("bob", "secret56", null, null) })
            .With("hosts", new ExportState.GroupRecord { Mappings = [new ExportState.MappingRecord(7, "vg/tp", "thin")] });

        var written = ExportStateJson.ToJson(state);
        var byReflection = JObject.Parse(JsonConvert.SerializeObject(state, Reflection));
        var read = ExportStateJson.FromJson(byReflection);

        JToken.DeepEquals(written, byReflection).Should().BeTrue(written.ToString());
        JToken.DeepEquals(ExportStateJson.ToJson(read), byReflection).Should().BeTrue();
        read.Initiators.ContainsKey("IQN.2024-01.ORG.EXAMPLE:A").Should().BeTrue("initiator names compare without case");
    }

    [Test]
    public void A_change_makes_a_new_export_state_and_leaves_the_old_one_as_it_was()
    {
        var state = new ExportState()
            .With("iqn.2024-01.org.example:a", new ExportState.InitiatorRecord { Mappings = [new ExportState.MappingRecord(1, "p", "v")] })
            .With("g", new ExportState.GroupRecord());
        var record = state.Initiators["iqn.2024-01.org.example:a"];

        var next = state
            .With("iqn.2024-01.org.example:a", record with { Mappings = [], Group = "g" })
            .With("g", state.Groups["g"] with { Mappings = [new ExportState.MappingRecord(2, "p", "w")] })
            .With("iqn.2024-01.org.example:c", new ExportState.InitiatorRecord());

        next.Initiators.Should().HaveCount(2);
        next.Initiators.ContainsKey("IQN.2024-01.ORG.EXAMPLE:C").Should().BeTrue("initiator names compare without case");
        state.Initiators.Should().ContainSingle().Which.Value.Mappings.Should().ContainSingle();
        state.Initiators["iqn.2024-01.org.example:a"].Group.Should().BeNull();
        state.Groups["g"].Mappings.Should().BeEmpty();
    }

    [Test]
    public void The_qcow2target_state_is_written_and_read_as_reflection_did()
    {
        var state = new Qcow2TargetState();
        state.Targets.Add(new Qcow2TargetState.TargetRecord { Name = "iqn.2018-01.com.example:t1", Id = 4, Luns = [new() { Lun = 0, Path = "a.qcow2" }, new() { Lun = 2, Path = "sub/b.qcow2" }] });
        state.Serials["a.qcow2"] = "0123456789abcdef";

        var byReflection = JObject.Parse(JsonConvert.SerializeObject(state, Reflection));

        JToken.DeepEquals(Qcow2TargetStateJson.ToJson(state), byReflection).Should().BeTrue();
        JToken.DeepEquals(Qcow2TargetStateJson.ToJson(Qcow2TargetStateJson.FromJson(byReflection)), byReflection).Should().BeTrue();
    }

    [Test]
    public void The_pool_indexes_are_written_and_read_as_reflection_did()
    {
        var images = new ImagePoolIndex { Uuid = "7d0e4f0c-5b6a-4e1f-9a8b-3c2d1e0f9a8b", Volumes = { ["disk1"] = "u1", ["disk2"] = "u2" } };
        var folders = new DirectoryFsIndex { FileSystems = { ["fs1"] = "f1" }, Snapshots = { ["fs1/s1"] = new DirectoryFsIndex.SnapshotRecord { Uuid = "s1", Timestamp = 1_700_000_000 } } };

        var imagesByReflection = JObject.Parse(JsonConvert.SerializeObject(images, Reflection));
        var foldersByReflection = JObject.Parse(JsonConvert.SerializeObject(folders, Reflection));

        JToken.DeepEquals(ImagePoolIndexJson.ToJson(images), imagesByReflection).Should().BeTrue();
        JToken.DeepEquals(ImagePoolIndexJson.ToJson(ImagePoolIndexJson.FromJson(imagesByReflection)), imagesByReflection).Should().BeTrue();
        JToken.DeepEquals(DirectoryFsIndexJson.ToJson(folders), foldersByReflection).Should().BeTrue();
        JToken.DeepEquals(DirectoryFsIndexJson.ToJson(DirectoryFsIndexJson.FromJson(foldersByReflection)), foldersByReflection).Should().BeTrue();
    }

    [TestCase("""{"uuid": 5, "volumes": {}}""", "'uuid' is Integer, not a string")]
    [TestCase("""{"uuid": "u", "volumes": {"disk": 7}}""", "'disk' is Integer, not a string")]
    [TestCase("""{"uuid": "u", "volumes": []}""", "'volumes' is Array, not an object")]
    [TestCase("""[]""", "the document is Array, not an object")]
    [TestCase("""{"uuid": "u", """, "Unexpected end")]
    public async Task A_document_of_the_wrong_shape_is_reported_damaged(string text, string reason)
    {
        string path = Path.Combine(_folder.FullName, "index.json");
        await File.WriteAllTextAsync(path, text);
        var file = new AtomicJsonFile<ImagePoolIndex>(path, ImagePoolIndexJson.ToJson, ImagePoolIndexJson.FromJson);

        var read = async () => await file.ReadAsync();

        (await read.Should().ThrowAsync<InvalidDataException>()).Which.Message.Should().StartWith($"The state file '{path}' is damaged: ").And.Contain(reason);
    }

    [Test]
    public async Task A_document_written_by_the_store_reads_back_equal()
    {
        string path = Path.Combine(_folder.FullName, "index.json");
        var file = new AtomicJsonFile<ImagePoolIndex>(path, ImagePoolIndexJson.ToJson, ImagePoolIndexJson.FromJson);
        var index = new ImagePoolIndex { Volumes = { ["a"] = "1" } };

        await file.WriteAsync(index);
        var read = await file.ReadAsync();

        read!.Uuid.Should().Be(index.Uuid);
        read.Volumes.Should().Equal(index.Volumes);
        (await File.ReadAllTextAsync(path)).Should().Contain("\"volumes\": {\n    \"a\": \"1\"\n  }");
    }
}
