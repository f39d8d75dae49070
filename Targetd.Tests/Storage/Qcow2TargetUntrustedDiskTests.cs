using System.Buffers.Binary;
using System.Diagnostics;
using Newtonsoft.Json.Linq;
using Targetd.Qcow2;
using Targetd.Storage.Qcow2Target;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage;

/// <summary>Disks whose chains reach outside the disks root, loop or block, and disks damaged while attached.</summary>
public sealed class Qcow2TargetUntrustedDiskTests
{
    private const string Target = "iqn.2008-05.com.example:board1";
    private DirectoryInfo _root = null!;
    private string _disks = null!;
    private FakeIscsiTargetPort _port = null!;
    private Qcow2TargetService _service = null!;

    [SetUp]
    public async Task SetUp()
    {
        _root = Directory.CreateTempSubdirectory("targetd-q2t-trust-");
        _disks = Directory.CreateDirectory(Path.Combine(_root.FullName, "disks")).FullName;
        _port = new FakeIscsiTargetPort();
        _service = NewService(_port);
        await _service.AddTargetAsync(Target);
    }

    [TearDown]
    public async Task TearDown()
    {
        await _service.DisposeAsync();
        _root.Delete(recursive: true);
    }

    private Qcow2TargetService NewService(FakeIscsiTargetPort port, IReadOnlyList<string>? backingRoots = null) =>
        new(new Qcow2TargetOptions { DisksRoot = _disks, StateFile = Path.Combine(_root.FullName, "state.json"), BackingRoots = backingRoots ?? [] }, port);

    private string Disk(string name) => Path.Combine(_disks, name);

    private static async Task CreateAsync(string path, string? backing = null, Qcow2BackingFormat format = Qcow2BackingFormat.Qcow2)
    {
        await using var image = await Qcow2Image.CreateAsync(path, new Qcow2CreateOptions { Size = 1 << 20, BackingFile = backing, BackingFormat = backing is null ? null : format });
    }

    private async Task<JObject> ListAsync() =>
        (JObject)JObject.Parse(await new Qcow2TargetProtocol(_service).HandleLineAsync("{\"type\": \"LIST\"}"))["result"]!;

    [Test]
    public async Task Attach_refuses_a_backing_file_outside_the_disks_root_naming_it()
    {
        await CreateAsync(Disk("escape.qcow2"), "/etc/passwd", Qcow2BackingFormat.Raw);
        await CreateAsync(Path.Combine(_root.FullName, "other-tenant.qcow2"));
        await CreateAsync(Disk("dotdot.qcow2"), "../other-tenant.qcow2");

        var escape = async () => await _service.AttachAsync(Target, "escape.qcow2");
        var dotdot = async () => await _service.AttachAsync(Target, "dotdot.qcow2");

        await escape.Should().ThrowAsync<Qcow2TargetException>().WithMessage($"cannot attach '{Disk("escape.qcow2")}': backing file '/etc/passwd' of '*' resolves to '/etc/passwd', outside the allowed folders*");
        await dotdot.Should().ThrowAsync<Qcow2TargetException>().WithMessage("*backing file '../other-tenant.qcow2'*outside the allowed folders*");
        _port.LunsOf(Target).Should().BeEmpty();
        _service.List()[0].LogicalUnits.Should().BeEmpty();
    }

    [Test]
    public async Task A_backing_root_admits_backing_files_in_it()
    {
        string shared = Directory.CreateDirectory(Path.Combine(_root.FullName, "golden")).FullName;
        await CreateAsync(Path.Combine(shared, "base.qcow2"));
        await CreateAsync(Disk("a.qcow2"), Path.Combine(shared, "base.qcow2"));
        await _service.DisposeAsync();
        _service = NewService(_port = new FakeIscsiTargetPort(), [shared]);
        await _service.AddTargetAsync(Target);

        (await _service.AttachAsync(Target, "a.qcow2")).Should().Be(0);
    }

    [Test]
    [CancelAfter(10_000)]
    public async Task Attach_refuses_a_fifo_disk_and_a_self_backed_disk_within_a_second()
    {
        ExternalTool.Require("mkfifo");
        await ExternalTool.RunOkAsync("mkfifo", Disk("pipe.img"));
        string scratch = Directory.CreateDirectory(Path.Combine(_root.FullName, "scratch")).FullName;
        await CreateAsync(Path.Combine(scratch, "self.qcow2"));
        await CreateAsync(Path.Combine(scratch, "next.qcow2"), "self.qcow2");
        File.Move(Path.Combine(scratch, "next.qcow2"), Disk("self.qcow2"));
        var clock = Stopwatch.StartNew();

        var fifo = async () => await _service.AttachAsync(Target, "pipe.img");
        var self = async () => await _service.AttachAsync(Target, "self.qcow2");

        await fifo.Should().ThrowAsync<Qcow2TargetException>().WithMessage("*image '*pipe.img' is a FIFO*");
        await self.Should().ThrowAsync<Qcow2TargetException>().WithMessage("*backing file 'self.qcow2'*loop*");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(1));
        (await _service.AttachAsync(Target, "pipe.img").ContinueWith(t => t.IsFaulted)).Should().BeTrue("a refused disk leaves nothing half attached");
    }

    [Test]
    public async Task A_disk_damaged_while_attached_is_listed_failed_after_a_restart_and_the_others_are_served()
    {
        ExternalTool.Require("qemu-img");
        await CreateAsync(Disk("good.qcow2"));
        await CreateAsync(Disk("damaged.qcow2"));
        await ExternalTool.RunOkAsync("qemu-img", "snapshot", "-c", "s1", Disk("damaged.qcow2"));
        await _service.AttachAsync(Target, "good.qcow2");
        await _service.AttachAsync(Target, "damaged.qcow2");
        await _service.DisposeAsync();
        DamageSnapshot(Disk("damaged.qcow2"));

        _service = NewService(_port = new FakeIscsiTargetPort());
        await _service.RestoreAsync();

        var listing = _service.List().Single();
        listing.LogicalUnits.Should().Equal((0, Disk("good.qcow2")), (1, Disk("damaged.qcow2")));
        listing.Failures.Should().ContainKey(1).WhoseValue.Should().Contain("l1_size 2147483647");
        _port.LunsOf(Target).Keys.Should().Equal(0);
        var units = (JArray)(await ListAsync())[Target]!["logical_units"]!;
        JToken.DeepEquals(units[0], new JObject { ["logical_unit_id"] = 0, ["file_path"] = Disk("good.qcow2") }).Should().BeTrue(units.ToString());
        ((string)units[1]["error"]!).Should().Contain("l1_size 2147483647");

        var again = async () => await _service.AttachAsync(Target, "damaged.qcow2");
        await again.Should().ThrowAsync<Qcow2TargetException>().WithMessage("*already attached*LUN 1*");
        var delete = async () => await _service.DeleteTargetAsync(Target);
        await delete.Should().ThrowAsync<Qcow2TargetException>();
        (await _service.DetachLunAsync(Target, 1)).Should().Be(Disk("damaged.qcow2"));
        _service.List().Single().LogicalUnits.Should().Equal((0, Disk("good.qcow2")));
    }

    /// <summary>Sets the first snapshot's l1_size to 0x7fffffff.</summary>
    private static void DamageSnapshot(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        var header = new byte[72];
        stream.ReadExactly(header);
        long table = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(64));
        var size = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(size, 0x7fffffff);
        stream.Position = table + 8;
        stream.Write(size);
    }
}
