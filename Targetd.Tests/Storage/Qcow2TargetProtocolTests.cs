using Newtonsoft.Json.Linq;
using Targetd.Qcow2;
using Targetd.Storage.Qcow2Target;

namespace Targetd.Tests.Storage;

public sealed class Qcow2TargetProtocolTests
{
    private const string Target = "iqn.2008-05.com.example:board1";
    private DirectoryInfo _root = null!;
    private FakeIscsiTargetPort _port = null!;
    private Qcow2TargetService _service = null!;
    private Qcow2TargetProtocol _protocol = null!;

    [SetUp]
    public async Task SetUp()
    {
        _root = Directory.CreateTempSubdirectory("targetd-q2t-");
        Directory.CreateDirectory(Path.Combine(_root.FullName, "disks"));
        _port = new FakeIscsiTargetPort();
        _service = new Qcow2TargetService(new Qcow2TargetOptions { DisksRoot = Path.Combine(_root.FullName, "disks"), StateFile = Path.Combine(_root.FullName, "state.json") }, _port);
        _protocol = new Qcow2TargetProtocol(_service);
        await using (await Qcow2Image.CreateAsync(DiskPath("a.qcow2"), new Qcow2CreateOptions { Size = 1 << 20 }))
        {
        }

        await File.WriteAllBytesAsync(DiskPath("raw.img"), new byte[1 << 20]);
    }

    [TearDown]
    public async Task TearDown()
    {
        await _service.DisposeAsync();
        _root.Delete(recursive: true);
    }

    private string DiskPath(string name) => Path.Combine(_root.FullName, "disks", name);

    private async Task<JObject> SendAsync(string line)
    {
        string reply = await _protocol.HandleLineAsync(line);
        reply.Should().NotContain("\n");
        return JObject.Parse(reply);
    }

    private Task<JObject> SendAsync(string type, object? command) =>
        SendAsync(new JObject { ["type"] = type, ["command"] = command is null ? null : JObject.FromObject(command) }.ToString(Newtonsoft.Json.Formatting.None));

    private static void ShouldSucceed(JObject reply) => ((string?)reply["error"]).Should().BeEmpty(reply.ToString());

    private static void ShouldFail(JObject reply, string error)
    {
        ((string?)reply["error"]).Should().Be(error);
        reply["result"].Should().BeOfType<JObject>().Which.Should().BeEmpty();
        ((string?)reply["Type"]).Should().Be("EMPTY");
    }

    [Test]
    public async Task Every_request_type_round_trips_with_the_specified_shapes()
    {
        var add = await SendAsync("ADDTARGET", new { target_name = Target });
        var attach = await SendAsync("ATTACH", new { target_name = Target, disk_path = "a.qcow2" });
        var attachRaw = await SendAsync("ATTACH", new { target_name = Target, disk_path = DiskPath("raw.img") });
        var list = await SendAsync("{\"type\": \"LIST\"}");
        var detach = await SendAsync("DETACHLUN", new { target_name = Target, lun_id = 0 });
        var clear = await SendAsync("CLEARTARGET", new { target_name = Target });
        var delete = await SendAsync("DELETETARGET", new { target_name = Target });
        var after = await SendAsync("LIST", null);

        ShouldSucceed(add);
        ((string?)add["Type"]).Should().Be("EMPTY");
        ShouldSucceed(attach);
        ((int)attach["result"]!["lun_id"]!).Should().Be(0);
        ((int)attachRaw["result"]!["lun_id"]!).Should().Be(1);
        var listed = list["result"]![Target]!;
        ((int)listed["target_id"]!).Should().Be(1);
        ((bool)listed["has_connections"]!).Should().BeFalse();
        listed["it_nexuses"].Should().BeOfType<JArray>().Which.Should().BeEmpty();
        listed["logical_units"]!.Select(l => ((int)l["logical_unit_id"]!, (string)l["file_path"]!)).Should()
            .Equal((0, DiskPath("a.qcow2")), (1, DiskPath("raw.img")));
        ((string?)detach["result"]!["file_path"]).Should().Be(DiskPath("a.qcow2"));
        clear["result"]!["freed_logical_unit_paths"]!.Values<string>().Should().Equal(DiskPath("raw.img"));
        ShouldSucceed(delete);
        after["result"].Should().BeOfType<JObject>().Which.Should().BeEmpty();
        _port.TargetNames.Should().BeEmpty();
    }

    [TestCase("")]
    [TestCase("   ")]
    [TestCase("{")]
    [TestCase("null")]
    [TestCase("[1,2]")]
    [TestCase("\"ATTACH\"")]
    [TestCase("{\"type\": 5}")]
    [TestCase("{\"type\": \"ATTACH\", \"command\": 7}")]
    [TestCase("{\"type\": \"LIST\"} {\"type\": \"LIST\"}")]
    public async Task Malformed_requests_get_an_error_and_change_nothing(string line)
    {
        var reply = await SendAsync(line);

        ((string?)reply["error"]).Should().NotBeNullOrEmpty();
        reply["result"].Should().BeOfType<JObject>().Which.Should().BeEmpty();
        _port.TargetNames.Should().BeEmpty();
    }

    [Test]
    public async Task Errors_keep_the_original_texts_clients_match_on()
    {
        ShouldFail(await SendAsync("FOO", new { }), "unknow request type FOO");
        ShouldFail(await SendAsync("ATTACH", new { target_name = Target, disk_path = "a.qcow2" }), "target does not exist");
        ShouldFail(await SendAsync("DETACHLUN", new { target_name = Target, lun_id = 1 }), "target does not exist");
        ShouldFail(await SendAsync("CLEARTARGET", new { target_name = Target }), "target does not exist");
        ShouldFail(await SendAsync("DELETETARGET", new { target_name = Target }), "target does not exist");
        ShouldSucceed(await SendAsync("ADDTARGET", new { target_name = Target }));
        ShouldFail(await SendAsync("ADDTARGET", new { target_name = Target }), "target already exists");
        ShouldFail(await SendAsync("DETACHLUN", new { target_name = Target, lun_id = 3 }), "logical unit not found");
        ShouldSucceed(await SendAsync("ATTACH", new { target_name = Target, disk_path = "a.qcow2" }));
        ShouldFail(await SendAsync("DELETETARGET", new { target_name = Target }), "can't remove target which has logical units attached");
        _port.Nexuses[Target] = ["iqn.init:x i0x023d00000001,iqn.2008-05.com.example:board1t1"];
        ShouldFail(await SendAsync("CLEARTARGET", new { target_name = Target }), "target has active iscsi connection");
    }

    [Test]
    public async Task Detach_of_an_unknown_lun_does_not_wedge_the_api()
    {
        await SendAsync("ADDTARGET", new { target_name = Target });

        ShouldFail(await SendAsync("DETACHLUN", new { target_name = Target, lun_id = 9 }), "logical unit not found");
        var attach = await SendAsync("ATTACH", new { target_name = Target, disk_path = "a.qcow2" }).WaitAsync(TimeSpan.FromSeconds(10));

        ShouldSucceed(attach);
    }

    [TestCase("{\"target_name\": \"T\"}", "command field 'lun_id' is missing")]
    [TestCase("{\"target_name\": \"T\", \"lun_id\": \"1\"}", "command field 'lun_id' must be an integer")]
    [TestCase("{\"target_name\": \"T\", \"lun_id\": 1.5}", "command field 'lun_id' must be an integer")]
    [TestCase("{\"target_name\": \"T\", \"lun_id\": 300}", "command field 'lun_id' must be between 0 and 255")]
    [TestCase("{\"target_name\": \"T\", \"lun_id\": -1}", "command field 'lun_id' must be between 0 and 255")]
    [TestCase("{\"target_name\": \"T\", \"lun_id\": 123456789012345678901234567890}", "command field 'lun_id' must be between 0 and 255")]
    [TestCase("{\"target_name\": 5, \"lun_id\": 1}", "command field 'target_name' must be a string")]
    [TestCase("{\"lun_id\": 1}", "command field 'target_name' is missing")]
    public async Task Missing_or_mistyped_fields_are_named(string command, string error)
    {
        ShouldFail(await SendAsync("{\"type\": \"DETACHLUN\", \"command\": " + command + "}"), error);
    }

    [TestCase("../outside.qcow2", "*outside the disks root*")]
    [TestCase("/etc/passwd", "*outside the disks root*")]
    [TestCase("missing.qcow2", "open *missing.qcow2: no such file or directory")]
    [TestCase("notdisk.txt", "*is not a disk image*")]
    [TestCase("empty.img", "*is not a disk image*")]
    [TestCase("escape", "*outside the disks root*")]
    [TestCase("", "disk_path must be a non-empty path")]
    public async Task Bad_disk_paths_and_files_are_refused_and_nothing_is_attached(string diskPath, string error)
    {
        await File.WriteAllTextAsync(DiskPath("notdisk.txt"), "hello");
        await File.WriteAllBytesAsync(DiskPath("empty.img"), []);
        await File.WriteAllBytesAsync(Path.Combine(_root.FullName, "outside.qcow2"), new byte[512]);
        File.CreateSymbolicLink(DiskPath("escape"), Path.Combine(_root.FullName, "outside.qcow2"));
        await SendAsync("ADDTARGET", new { target_name = Target });

        var reply = await SendAsync("ATTACH", new { target_name = Target, disk_path = diskPath });

        ((string?)reply["error"]).Should().Match(error);
        _port.LunsOf(Target).Should().BeEmpty();
    }

    [Test]
    public async Task A_disk_attached_anywhere_cannot_be_attached_again()
    {
        await SendAsync("ADDTARGET", new { target_name = Target });
        await SendAsync("ADDTARGET", new { target_name = Target + "b" });
        ShouldSucceed(await SendAsync("ATTACH", new { target_name = Target, disk_path = "a.qcow2" }));

        var again = await SendAsync("ATTACH", new { target_name = Target + "b", disk_path = DiskPath("a.qcow2") });

        ((string?)again["error"]).Should().Contain("already attached to target " + Target);
        _port.LunsOf(Target + "b").Should().BeEmpty();
    }

    [Test]
    public async Task Lun_ids_are_the_lowest_free_and_the_table_holds_256()
    {
        await SendAsync("ADDTARGET", new { target_name = Target });
        for (int i = 0; i < 257; i++)
        {
            await File.WriteAllBytesAsync(DiskPath($"d{i}.img"), new byte[4096]);
        }

        for (int i = 0; i < 256; i++)
        {
            ((int)(await SendAsync("ATTACH", new { target_name = Target, disk_path = $"d{i}.img" }))["result"]!["lun_id"]!).Should().Be(i);
        }

        ShouldFail(await SendAsync("ATTACH", new { target_name = Target, disk_path = "d256.img" }), "can't have more than 256 logical units allocated to a single target");
        ShouldSucceed(await SendAsync("DETACHLUN", new { target_name = Target, lun_id = 17 }));
        ((int)(await SendAsync("ATTACH", new { target_name = Target, disk_path = "d256.img" }))["result"]!["lun_id"]!).Should().Be(17);
    }

    [Test]
    public async Task State_survives_a_restart_and_vanished_disks_are_left_out()
    {
        await SendAsync("ADDTARGET", new { target_name = Target });
        await SendAsync("ADDTARGET", new { target_name = "iqn.2008-05.com.example:second" });
        await SendAsync("ATTACH", new { target_name = Target, disk_path = "a.qcow2" });
        await SendAsync("ATTACH", new { target_name = Target, disk_path = "raw.img" });
        await _service.DisposeAsync();
        File.Delete(DiskPath("raw.img"));

        var port = new FakeIscsiTargetPort();
        await using var restarted = new Qcow2TargetService(new Qcow2TargetOptions { DisksRoot = Path.Combine(_root.FullName, "disks"), StateFile = Path.Combine(_root.FullName, "state.json") }, port);
        await restarted.RestoreAsync();
        var listing = restarted.List();
        _service = new Qcow2TargetService(new Qcow2TargetOptions { DisksRoot = Path.Combine(_root.FullName, "disks") }, new FakeIscsiTargetPort());

        listing.Select(t => (t.Name, t.Id)).Should().Equal((Target, 1), ("iqn.2008-05.com.example:second", 2));
        listing[0].LogicalUnits.Should().Equal((0, DiskPath("a.qcow2")));
        port.LunsOf(Target).Keys.Should().Equal(0);
    }

    [Test]
    public async Task A_disk_keeps_its_serial_through_detach_reattach_elsewhere_and_restart()
    {
        const string Second = "iqn.2008-05.com.example:second";
        await SendAsync("ADDTARGET", new { target_name = Target });
        await SendAsync("ADDTARGET", new { target_name = Second });
        await SendAsync("ATTACH", new { target_name = Target, disk_path = "raw.img" });
        await SendAsync("ATTACH", new { target_name = Target, disk_path = "a.qcow2" });
        string serial = _port.Serials[(Target, 1)];
        string other = _port.Serials[(Target, 0)];

        ShouldSucceed(await SendAsync("DETACHLUN", new { target_name = Target, lun_id = 1 }));
        ShouldSucceed(await SendAsync("ATTACH", new { target_name = Second, disk_path = "a.qcow2" }));
        string again = _port.Serials[(Second, 0)];
        await _service.DisposeAsync();
        var port = new FakeIscsiTargetPort();
        await using var restarted = new Qcow2TargetService(new Qcow2TargetOptions { DisksRoot = Path.Combine(_root.FullName, "disks"), StateFile = Path.Combine(_root.FullName, "state.json") }, port);
        await restarted.RestoreAsync();
        _service = new Qcow2TargetService(new Qcow2TargetOptions { DisksRoot = Path.Combine(_root.FullName, "disks") }, new FakeIscsiTargetPort());

        Guid.TryParse(serial, out _).Should().BeTrue("a new disk gets a uuid: " + serial);
        other.Should().NotBe(serial);
        again.Should().Be(serial, "re-attached at another target and LUN");
        port.Serials[(Second, 0)].Should().Be(serial, "restored after a restart");
        port.Serials[(Target, 0)].Should().Be(other);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Thousands_of_random_and_truncated_lines_never_break_the_service()
    {
        var random = new Random(4242);
        string[] seeds =
        [
            "{\"type\": \"ATTACH\", \"command\": {\"target_name\": \"" + Target + "\", \"disk_path\": \"a.qcow2\"}}",
            "{\"type\": \"DETACHLUN\", \"command\": {\"target_name\": \"" + Target + "\", \"lun_id\": 0}}",
            "{\"type\": \"ADDTARGET\", \"command\": {\"target_name\": \"" + Target + "\"}}",
            "{\"type\": \"CLEARTARGET\", \"command\": {\"target_name\": \"" + Target + "\"}}",
            "{\"type\": \"DELETETARGET\", \"command\": {\"target_name\": \"" + Target + "\"}}",
            "{\"type\": \"LIST\"}",
        ];
        for (int i = 0; i < 5000; i++)
        {
            string seed = seeds[random.Next(seeds.Length)];
            string line = random.Next(4) switch
            {
                0 => seed[..random.Next(seed.Length + 1)],
                1 => new string([.. seed.Select(c => random.Next(20) == 0 ? (char)random.Next(32, 127) : c)]),
                2 => new string([.. Enumerable.Range(0, random.Next(0, 200)).Select(_ => (char)random.Next(0, 0x3000))]),
                _ => seed,
            };
            var reply = JObject.Parse(await _protocol.HandleLineAsync(line));
            reply.Should().ContainKeys("error", "result");
        }

        // Still consistent and serving.
        await SendAsync("CLEARTARGET", new { target_name = Target });
        await SendAsync("DELETETARGET", new { target_name = Target });
        ShouldSucceed(await SendAsync("ADDTARGET", new { target_name = Target }));
        ShouldSucceed(await SendAsync("ATTACH", new { target_name = Target, disk_path = "a.qcow2" }));
    }
}
