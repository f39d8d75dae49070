using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json.Linq;
using Targetd.Iscsi.Scsi;
using Targetd.Qcow2;
using Targetd.Tests.Iscsi;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage;

/// <summary>The qcow2target daemon as a real process: its control socket, iSCSI through real initiators, restarts.</summary>
[Category("Interop")]
[NonParallelizable]
public sealed class Qcow2TargetDaemonInteropTests
{
    private const string Target = "iqn.2024-01.org.example:board1";
    private DirectoryInfo _folder = null!;
    private string _disks = null!;
    private Qcow2TargetDaemon? _daemon;

    [SetUp]
    public void SetUp()
    {
        _folder = Directory.CreateTempSubdirectory("targetd-daemon-");
        _disks = Path.Combine(_folder.FullName, "disks");
        Directory.CreateDirectory(_disks);
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

    private async Task<Qcow2TargetDaemon> StartAsync(int? port = null) =>
        _daemon = await Qcow2TargetDaemon.StartAsync(_folder.FullName, _disks, port);

    private async Task CreateOverlayAsync(string name, string? backing = "base.qcow2")
    {
        await using var image = await Qcow2Image.CreateAsync(Path.Combine(_disks, name), backing is null
            ? new Qcow2CreateOptions { Size = 16L << 20 }
            : new Qcow2CreateOptions { BackingFile = backing, BackingFormat = Qcow2BackingFormat.Qcow2 });
    }

    private string Url(string target, int lun = 0) => $"iscsi://127.0.0.1:{_daemon!.Port}/{target}/{lun}";

    [Test]
    [CancelAfter(60_000)]
    public async Task The_login_timeout_of_the_config_file_closes_a_connection_that_never_logs_in()
    {
        string config = Path.Combine(_folder.FullName, "qcow2target.json");
        await File.WriteAllTextAsync(config, "{\"login_timeout\": 1, \"nopin_timeout\": 0}");
        var daemon = _daemon = await Qcow2TargetDaemon.StartAsync(_folder.FullName, _disks, configFile: config);

        await using var silent = await TestInitiator.ConnectAsync(new IPEndPoint(IPAddress.Loopback, daemon.Port));

        (await silent.IsClosedByTargetAsync()).Should().BeTrue("the daemon gives a login one second");
        daemon.Log.Should().Contain("did not finish its login within 00:00:01");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task The_control_socket_serves_every_request_shape_and_survives_bad_input()
    {
        var daemon = await StartAsync();
        await CreateOverlayAsync("a.qcow2", backing: null);

        File.GetUnixFileMode(daemon.SocketPath).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        (await daemon.OkAsync("ADDTARGET", new { target_name = Target })).Should().BeEmpty();
        ((int)(await daemon.OkAsync("ATTACH", new { target_name = Target, disk_path = "a.qcow2" }))["lun_id"]!).Should().Be(0);

        // Several requests on one connection, and a last one without its newline.
        var lines = await daemon.SendRawAsync(Encoding.UTF8.GetBytes(
            "{\"type\":\"LIST\"}\n{oops\n{\"type\":\"DETACHLUN\",\"command\":{\"target_name\":\"" + Target + "\",\"lun_id\":7}}\n{\"type\":\"LIST\"}"));
        lines.Should().HaveCount(4);
        JObject.Parse(lines[0])["result"]![Target]!["logical_units"]![0]!["file_path"]!.Value<string>().Should().Be(Path.Combine(_disks, "a.qcow2"));
        JObject.Parse(lines[1])["error"]!.Value<string>().Should().StartWith("invalid JSON");
        JObject.Parse(lines[2])["error"]!.Value<string>().Should().Be("logical unit not found");

        // The original wedged after that detach; here the next attach answers at once.
        await CreateOverlayAsync("b.qcow2", backing: null);
        ((int)(await daemon.OkAsync("ATTACH", new { target_name = Target, disk_path = "b.qcow2" }))["lun_id"]!).Should().Be(1);
        ((string?)(await daemon.RequestAsync("ATTACH", new { target_name = "iqn.2024-01.org.example:nope", disk_path = "b.qcow2" }))["error"]).Should().Be("target does not exist");
        ((string?)(await daemon.OkAsync("DETACHLUN", new { target_name = Target, lun_id = 0 }))["file_path"]).Should().Be(Path.Combine(_disks, "a.qcow2"));
        (await daemon.OkAsync("CLEARTARGET", new { target_name = Target }))["freed_logical_unit_paths"]!.Values<string>().Should().Equal(Path.Combine(_disks, "b.qcow2"));
        (await daemon.OkAsync("DELETETARGET", new { target_name = Target })).Should().BeEmpty();
        (await daemon.OkAsync("LIST")).Should().BeEmpty();

        // Thousands of random and truncated lines, many per connection.
        var random = new Random(99);
        string[] seeds = ["{\"type\":\"ADDTARGET\",\"command\":{\"target_name\":\"" + Target + "\"}}", "{\"type\":\"ATTACH\",\"command\":{\"target_name\":\"" + Target + "\",\"disk_path\":\"a.qcow2\"}}", "{\"type\":\"CLEARTARGET\",\"command\":{\"target_name\":\"" + Target + "\"}}", "{\"type\":\"LIST\"}"];
        int replies = 0;
        for (int connection = 0; connection < 40; connection++)
        {
            var payload = new StringBuilder();
            for (int i = 0; i < 60; i++)
            {
                string seed = seeds[random.Next(seeds.Length)];
                payload.Append(random.Next(3) switch
                {
                    0 => seed[..random.Next(seed.Length)],
                    1 => new string([.. seed.Select(c => random.Next(15) == 0 ? (char)random.Next(1, 128) : c)]).Replace('\n', ' '),
                    _ => seed,
                }).Append('\n');
            }

            replies += (await daemon.SendRawAsync(Encoding.UTF8.GetBytes(payload.ToString()))).Count;
        }

        var binary = new byte[100_000];
        random.NextBytes(binary);
        await daemon.SendRawAsync(binary);
        replies.Should().Be(40 * 60);
        daemon.HasExited.Should().BeFalse();
        await daemon.OkAsync("LIST");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task An_overlay_served_over_iscsi_reads_its_base_and_takes_writes_itself()
    {
        ExternalTool.Require("qemu-img");
        ExternalTool.Require("qemu-io");
        var content = new byte[4 << 20];
        new Random(8).NextBytes(content);
        await using (var baseImage = await Qcow2Image.CreateAsync(Path.Combine(_disks, "base.qcow2"), new Qcow2CreateOptions { Size = 16L << 20 }))
        {
            await baseImage.WriteAsync(0, content);
        }

        byte[] baseHash = SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(_disks, "base.qcow2")));
        await CreateOverlayAsync("job.qcow2");
        var daemon = await StartAsync();
        await daemon.OkAsync("ADDTARGET", new { target_name = Target });
        await daemon.OkAsync("ATTACH", new { target_name = Target, disk_path = "job.qcow2" });

        string raw = Path.Combine(_folder.FullName, "read.raw");
        await ExternalTool.RunOkAsync("qemu-img", "convert", "-O", "raw", Url(Target), raw);
        (await File.ReadAllBytesAsync(raw)).AsSpan(0, content.Length).SequenceEqual(content).Should().BeTrue();
        await ExternalTool.RunOkAsync("qemu-io", "-f", "raw", "-c", "write -P 0x77 1M 64k", Url(Target));

        // A session held open: LIST shows it, and CLEARTARGET is refused meanwhile.
        var session = ExternalTool.RunAsync("qemu-io", "-f", "raw", "-c", "read -P 0x77 1M 64k", "-c", "sleep 4000", Url(Target));
        JObject listed = [];
        for (int i = 0; i < 60 && (bool?)listed[Target]?["has_connections"] != true; i++)
        {
            await Task.Delay(50);
            listed = await daemon.OkAsync("LIST");
        }

        ((bool)listed[Target]!["has_connections"]!).Should().BeTrue();
        listed[Target]!["it_nexuses"]!.Values<string>().Should().ContainSingle().Which.Should().Contain("i0x").And.EndWith(Target + "t1");
        ((string?)(await daemon.RequestAsync("CLEARTARGET", new { target_name = Target }))["error"]).Should().Be("target has active iscsi connection");
        (await session).ExitCode.Should().Be(0, "the pattern written through iSCSI reads back");
        for (int i = 0; i < 60 && (bool)(await daemon.OkAsync("LIST"))[Target]!["has_connections"]!; i++)
        {
            await Task.Delay(50);
        }

        ((bool)(await daemon.OkAsync("LIST"))[Target]!["has_connections"]!).Should().BeFalse();
        await daemon.OkAsync("DETACHLUN", new { target_name = Target, lun_id = 0 });

        SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(_disks, "base.qcow2"))).Should().Equal(baseHash, "writes land in the overlay only");
        (await ExternalTool.RunAsync("qemu-img", "check", Path.Combine(_disks, "job.qcow2"))).ExitCode.Should().Be(0);
        await ExternalTool.RunOkAsync("qemu-io", "-c", "read -P 0x77 1M 64k", Path.Combine(_disks, "job.qcow2"));
    }

    /// <summary>
    /// The product path under the conformance suite: a thin qcow2 disk served by the daemon takes libiscsi's whole
    /// iscsi-test-cu run (two initiator names, two paths) with no failure, and QEMU finds the image clean afterwards.
    /// </summary>
    [Test]
    [CancelAfter(660_000)]
    public async Task Iscsi_test_cu_over_a_qcow2_disk_has_no_failures_and_leaves_a_clean_image()
    {
        ExternalTool.Require("iscsi-test-cu");
        var created = await Qcow2Image.CreateAsync(Path.Combine(_disks, "conformance.qcow2"), new Qcow2CreateOptions { Size = 256L << 20 });
        await created.DisposeAsync();

        var daemon = await StartAsync();
        await daemon.OkAsync("ADDTARGET", new { target_name = Target });
        await daemon.OkAsync("ATTACH", new { target_name = Target, disk_path = "conformance.qcow2" });

        var (_, output) = await InteropTool.RunAsync(
            "iscsi-test-cu",
            ["--dataloss", "-v", "-i", "iqn.2024-01.net.targetd.test:initiator-1", "-I", "iqn.2024-01.net.targetd.test:initiator-2", "-t", "ALL", Url(Target), Url(Target)],
            timeoutSeconds: 600);
        var score = TestCuScore.Parse(output);
        await TestContext.Progress.WriteLineAsync($"iscsi-test-cu --dataloss -t ALL over a qcow2 disk in qcow2target: {score}");

        score.Failed.Should().BeEmpty(output);
        score.Clean.Count.Should().BeGreaterThan(200, "the whole suite ran against the disk");
        for (int i = 0; i < 100 && (bool)(await daemon.OkAsync("LIST"))[Target]!["has_connections"]!; i++)
        {
            await Task.Delay(50);
        }

        await daemon.OkAsync("DETACHLUN", new { target_name = Target, lun_id = 0 });
        var check = await ExternalTool.RunAsync("qemu-img", "check", Path.Combine(_disks, "conformance.qcow2"));
        check.ExitCode.Should().Be(0, check.StandardOutput + check.StandardError);
        check.StandardOutput.Should().Contain("No errors were found on the image.");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task An_attached_image_is_locked_against_qemu_writers()
    {
        ExternalTool.Require("qemu-io");
        await CreateOverlayAsync("locked.qcow2", backing: null);
        var daemon = await StartAsync();
        await daemon.OkAsync("ADDTARGET", new { target_name = Target });
        await daemon.OkAsync("ATTACH", new { target_name = Target, disk_path = "locked.qcow2" });

        var write = await ExternalTool.RunAsync("qemu-io", "-c", "write 0 4k", Path.Combine(_disks, "locked.qcow2"));

        write.ExitCode.Should().NotBe(0);
        (write.StandardOutput + write.StandardError).Should().Contain("Failed to get \"write\" lock");
        await daemon.OkAsync("CLEARTARGET", new { target_name = Target });
        await ExternalTool.RunOkAsync("qemu-io", "-c", "write 0 4k", Path.Combine(_disks, "locked.qcow2"));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task The_image_tool_refuses_to_write_an_attached_disk_as_qemu_img_does_and_changes_nothing()
    {
        await CreateOverlayAsync("served.qcow2", backing: null);
        string disk = Path.Combine(_disks, "served.qcow2");
        var daemon = await StartAsync();
        await daemon.OkAsync("ADDTARGET", new { target_name = Target });
        await daemon.OkAsync("ATTACH", new { target_name = Target, disk_path = "served.qcow2" });
        string before = await ExternalTool.RunOkAsync("qemu-img", "info", "-U", "--output=json", disk);
        var qemu = await ExternalTool.RunAsync("qemu-img", "resize", disk, "+1M");

        foreach (string[] command in new[] { new[] { "resize", disk, "+1M" }, ["check", "-r", "all", disk], ["snapshot", "-c", "s1", disk] })
        {
            var ours = await ExternalTool.RunAsync("dotnet", [Qcow2TargetDaemon.Executable, "image", .. command]);

            ours.ExitCode.Should().Be(qemu.ExitCode, string.Join(' ', command) + ": " + ours.StandardError);
            ours.StandardError.Should().Contain($"Could not open '{disk}': Failed to get \"write\" lock");
            ours.StandardError.Should().Contain($"Is another process using the image [{disk}]?");
        }

        qemu.ExitCode.Should().Be(1);
        (await ExternalTool.RunOkAsync("qemu-img", "info", "-U", "--output=json", disk)).Should().Be(before, "nothing was written");
        await daemon.OkAsync("CLEARTARGET", new { target_name = Target });
        (await ExternalTool.RunAsync("dotnet", [Qcow2TargetDaemon.Executable, "image", "snapshot", "-c", "s1", disk])).ExitCode.Should().Be(0, "a detached disk is free");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task After_kill_9_a_restart_restores_the_targets_and_initiators_log_in_again()
    {
        ExternalTool.Require("iscsi-ls");
        await CreateOverlayAsync("one.qcow2", backing: null);
        await CreateOverlayAsync("two.qcow2", backing: null);
        var daemon = await StartAsync();
        await daemon.OkAsync("ADDTARGET", new { target_name = Target });
        await daemon.OkAsync("ADDTARGET", new { target_name = Target + "-b" });
        await daemon.OkAsync("ATTACH", new { target_name = Target, disk_path = "one.qcow2" });
        await daemon.OkAsync("ATTACH", new { target_name = Target + "-b", disk_path = "two.qcow2" });
        var before = await daemon.OkAsync("LIST");

        daemon.KillHard();
        await daemon.DisposeAsync();
        var restarted = await StartAsync(daemon.Port);
        var after = await restarted.OkAsync("LIST");
        string listing = await ExternalTool.RunOkAsync("iscsi-ls", "-s", $"iscsi://127.0.0.1:{restarted.Port}");

        after.ToString().Should().Be(before.ToString());
        listing.Should().Contain(Target).And.Contain(Target + "-b").And.Contain("Lun:0");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Persistent_reservations_made_with_aptpl_survive_a_kill_and_restart()
    {
        const string node = "iqn.2024-01.org.example:node1";
        await CreateOverlayAsync("shared.qcow2", backing: null);
        var daemon = await StartAsync();
        await daemon.OkAsync("ADDTARGET", new { target_name = Target });
        await daemon.OkAsync("ATTACH", new { target_name = Target, disk_path = "shared.qcow2" });
        await using (var initiator = await LoginAsync(daemon, node))
        {
            (await initiator.ExecuteAsync(0, Cdb.PersistentReserveOut(0x00, 0, 24), 24, read: false, write: ReservationDriver.Parameters(0, 0xC0FFEE, aptpl: true)))
                .Status.Should().Be(ScsiStatus.Good);
            (await initiator.ExecuteAsync(0, Cdb.PersistentReserveOut(0x01, 0x01, 24), 24, read: false, write: ReservationDriver.Parameters(0xC0FFEE, 0, aptpl: false)))
                .Status.Should().Be(ScsiStatus.Good);
        }

        daemon.KillHard();
        await daemon.DisposeAsync();
        var restarted = await StartAsync(daemon.Port);

        await using var again = await LoginAsync(restarted, node);
        var keys = await again.ExecuteAsync(0, Cdb.PersistentReserveIn(0x00, 64), 64, read: true);
        var reservation = await again.ExecuteAsync(0, Cdb.PersistentReserveIn(0x01, 64), 64, read: true);
        await using var other = await LoginAsync(restarted, "iqn.2024-01.org.example:node2");
        var otherWrite = await other.ExecuteAsync(0, Iscsi.Cdb.Write10(0, 1), 512, read: false, write: new byte[512]);
        var holderWrite = await again.ExecuteAsync(0, Iscsi.Cdb.Write10(0, 1), 512, read: false, write: new byte[512]);

        BinaryPrimitives.ReadUInt32BigEndian(keys.Data.AsSpan(4)).Should().Be(8);
        BinaryPrimitives.ReadUInt64BigEndian(keys.Data.AsSpan(8)).Should().Be(0xC0FFEE);
        BinaryPrimitives.ReadUInt64BigEndian(reservation.Data.AsSpan(8)).Should().Be(0xC0FFEE);
        reservation.Data[21].Should().Be(0x01, "WRITE EXCLUSIVE came back");
        otherWrite.Status.Should().Be(ScsiStatus.ReservationConflict);
        holderWrite.Status.Should().Be(ScsiStatus.Good);
        Directory.GetFiles(Path.Combine(_folder.FullName, "reservations"), "*.pr").Should().ContainSingle();
    }

    private static async Task<TestInitiator> LoginAsync(Qcow2TargetDaemon daemon, string initiatorName)
    {
        var initiator = await TestInitiator.ConnectAsync(new IPEndPoint(IPAddress.Loopback, daemon.Port));
        (await initiator.LoginAsync(Target, initiatorName)).Should().Be(0);
        return initiator;
    }

    [Test]
    public async Task A_socket_group_opens_the_socket_to_that_group_only()
    {
        var daemon = _daemon = await Qcow2TargetDaemon.StartAsync(_folder.FullName, _disks, socketGroup: "0");

        File.GetUnixFileMode(daemon.SocketPath).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        await daemon.OkAsync("LIST");
    }
}
