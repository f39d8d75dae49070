using System.Buffers.Binary;
using System.Diagnostics;
using Newtonsoft.Json.Linq;
using Targetd.Qcow2;
using Targetd.Tests.Support;

namespace Targetd.Tests.Hostile;

/// <summary>
/// Hostile disks against the real <c>qcow2target serve</c> process: a backing file outside the disks root, a disk
/// that backs itself, a FIFO, and a disk damaged while attached that must not keep the daemon from starting.
/// </summary>
[Category("Interop")]
[Category("Hostile")]
[NonParallelizable]
public sealed class HostileDiskInteropTests
{
    private const string Target = "iqn.2024-01.org.example:hostile";
    private DirectoryInfo _folder = null!;
    private string _disks = null!;
    private Qcow2TargetDaemon? _daemon;

    [SetUp]
    public void SetUp()
    {
        ExternalTool.Require("qemu-img");
        _folder = Directory.CreateTempSubdirectory("targetd-hostile-daemon-");
        _disks = Directory.CreateDirectory(Path.Combine(_folder.FullName, "disks")).FullName;
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
            _daemon = null;
        }

        _folder.Delete(recursive: true);
    }

    private string Disk(string name) => Path.Combine(_disks, name);

    private async Task<JObject> AttachAsync(string disk) =>
        await _daemon!.RequestAsync("ATTACH", new { target_name = Target, disk_path = disk });

    [Test]
    [CancelAfter(120_000)]
    public async Task Escaping_self_backed_and_fifo_disks_are_refused_at_attach_while_the_daemon_keeps_serving()
    {
        await ExternalTool.RunOkAsync("qemu-img", "create", "-f", "qcow2", "-b", "/etc/shadow", "-F", "raw", Disk("shadow.qcow2"), "1M");
        await ExternalTool.RunOkAsync("qemu-img", "create", "-f", "qcow2", Disk("self.qcow2"), "1M");
        await ExternalTool.RunOkAsync("qemu-img", "rebase", "-u", "-b", "self.qcow2", "-F", "qcow2", Disk("self.qcow2"));
        await ExternalTool.RunOkAsync("qemu-img", "create", "-f", "qcow2", Disk("good.qcow2"), "1M");
        await ExternalTool.RunOkAsync("qemu-img", "create", "-f", "qcow2", Disk("fifo-backed.qcow2"), "1M");
        await ExternalTool.RunOkAsync("mkfifo", Disk("pipe"));
        await ExternalTool.RunOkAsync("qemu-img", "rebase", "-u", "-b", "pipe", "-F", "raw", Disk("fifo-backed.qcow2"));
        _daemon = await Qcow2TargetDaemon.StartAsync(_folder.FullName, _disks);
        await _daemon.OkAsync("ADDTARGET", new { target_name = Target });

        var shadow = await AttachAsync("shadow.qcow2");
        ((string)shadow["error"]!).Should().Contain("backing file '/etc/shadow'").And.Contain("outside the allowed folders");

        foreach (var (disk, reason) in new[] { ("self.qcow2", "loop"), ("fifo-backed.qcow2", "a FIFO"), ("pipe", "a FIFO") })
        {
            var clock = Stopwatch.StartNew();
            var reply = await AttachAsync(disk);
            clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(1), disk);
            ((string)reply["error"]!).Should().Contain(reason, disk);
        }

        ((int)(await _daemon.OkAsync("ATTACH", new { target_name = Target, disk_path = "good.qcow2" }))["lun_id"]!).Should().Be(0);
        var units = (JArray)(await _daemon.OkAsync("LIST"))[Target]!["logical_units"]!;
        units.Select(u => (string)u["file_path"]!).Should().Equal(Disk("good.qcow2"));
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task A_disk_damaged_in_the_state_file_is_listed_failed_and_the_other_disks_are_served()
    {
        await ExternalTool.RunOkAsync("qemu-img", "create", "-f", "qcow2", Disk("good.qcow2"), "4M");
        await ExternalTool.RunOkAsync("qemu-io", "-f", "qcow2", "-c", "write -P 0x6b 0 1M", Disk("good.qcow2"));
        await ExternalTool.RunOkAsync("qemu-img", "create", "-f", "qcow2", Disk("damaged.qcow2"), "4M");
        await ExternalTool.RunOkAsync("qemu-img", "snapshot", "-c", "s1", Disk("damaged.qcow2"));
        _daemon = await Qcow2TargetDaemon.StartAsync(_folder.FullName, _disks);
        await _daemon.OkAsync("ADDTARGET", new { target_name = Target });
        await _daemon.OkAsync("ATTACH", new { target_name = Target, disk_path = "damaged.qcow2" });
        await _daemon.OkAsync("ATTACH", new { target_name = Target, disk_path = "good.qcow2" });
        await _daemon.DisposeAsync();
        _daemon = null;
        DamageSnapshot(Disk("damaged.qcow2"));

        _daemon = await Qcow2TargetDaemon.StartAsync(_folder.FullName, _disks);

        var units = (JArray)(await _daemon.OkAsync("LIST"))[Target]!["logical_units"]!;
        units.Should().HaveCount(2);
        ((string)units[0]["file_path"]!).Should().Be(Disk("damaged.qcow2"));
        ((string)units[0]["error"]!).Should().Contain("l1_size 2147483647");
        units[1]["error"].Should().BeNull();
        _daemon.Log.Should().Contain("failed to open and is not served");
        string raw = Path.Combine(_folder.FullName, "good.raw");
        await ExternalTool.RunOkAsync("qemu-img", "convert", "-O", "raw", $"iscsi://127.0.0.1:{_daemon.Port}/{Target}/1", raw);
        var bytes = await File.ReadAllBytesAsync(raw);
        bytes.AsSpan(0, 1 << 20).ContainsAnyExcept((byte)0x6b).Should().BeFalse();
        bytes.Length.Should().Be(4 << 20);
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
