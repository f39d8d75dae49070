using System.Net;
using Targetd.Iscsi.Scsi;
using Targetd.Tests.Iscsi;
using Targetd.Tests.Support;

namespace Targetd.Tests.Hostile;

/// <summary>
/// Targets that were open to anyone who reaches the portal: qcow2target's access control as a real process. The
/// initiators and CHAP of its config file guard every target it creates and restores, for a raw-PDU initiator and
/// for libiscsi (mutual CHAP too).
/// </summary>
[Category("Interop")]
[Category("Hostile")]
[NonParallelizable]
public sealed class OpenTargetInteropTests
{
    private const string Target = "iqn.2024-01.org.example:guarded";
    private const string Allowed = "iqn.2024-01.org.example:initiator-a";
    private const string Other = "iqn.2024-01.org.example:initiator-b";
    private const string Secret = "alice-secret-12";
    private const string TargetSecret = "array-secret-34";
    private DirectoryInfo _folder = null!;
    private string _disks = null!;
    private Qcow2TargetDaemon? _daemon;

    [SetUp]
    public void SetUp()
    {
        _folder = Directory.CreateTempSubdirectory("targetd-daemon-access-");
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

    [Test]
    [CancelAfter(180_000)]
    public async Task Only_the_listed_initiator_proving_its_secret_is_served_and_the_target_proves_its_own()
    {
        ExternalTool.Require("iscsi-inq");
        string config = Path.Combine(_folder.FullName, "qcow2target.json");
        await File.WriteAllTextAsync(config, $$"""
            {"allowed_initiators": ["{{Allowed}}"], "chap_user": "alice", "chap_password": "{{Secret}}",
             "mutual_chap_user": "array", "mutual_chap_password": "{{TargetSecret}}"}
            """);
        await File.WriteAllBytesAsync(Path.Combine(_disks, "raw.img"), new byte[4 << 20]);
        var daemon = _daemon = await Qcow2TargetDaemon.StartAsync(_folder.FullName, _disks, configFile: config);
        await daemon.OkAsync("ADDTARGET", new { target_name = Target });
        await daemon.OkAsync("ATTACH", new { target_name = Target, disk_path = "raw.img" });

        await AssertGuardedAsync(daemon);
        daemon.Log.Should().NotContain("not a loopback address", "the portal is on loopback and guarded")
            .And.NotContain(Secret).And.NotContain(TargetSecret);

        var url = $"iscsi://alice%{Secret}@127.0.0.1:{daemon.Port}/{Target}/0";
        var rightTarget = new Dictionary<string, string> { ["LIBISCSI_CHAP_TARGET_USERNAME"] = "array", ["LIBISCSI_CHAP_TARGET_PASSWORD"] = TargetSecret };
        var wrongTarget = new Dictionary<string, string> { ["LIBISCSI_CHAP_TARGET_USERNAME"] = "array", ["LIBISCSI_CHAP_TARGET_PASSWORD"] = "not-the-array-secret" };
        var (goodExit, good) = await InteropTool.RunAsync("iscsi-inq", ["-i", Allowed, url], rightTarget);
        var (badTargetExit, badTarget) = await InteropTool.RunAsync("iscsi-inq", ["-i", Allowed, url], wrongTarget);
        var (otherExit, other) = await InteropTool.RunAsync("iscsi-inq", ["-i", Other, url], rightTarget);
        var (wrongExit, wrong) = await InteropTool.RunAsync("iscsi-inq", ["-i", Allowed, $"iscsi://alice%wrong-secret-99@127.0.0.1:{daemon.Port}/{Target}/0"], rightTarget);
        var (noneExit, none) = await InteropTool.RunAsync("iscsi-inq", ["-i", Allowed, $"iscsi://127.0.0.1:{daemon.Port}/{Target}/0"]);
        goodExit.Should().Be(0, good);
        good.Should().Contain("DIRECT_ACCESS");
        badTargetExit.Should().NotBe(0, "libiscsi refuses a target that cannot prove the secret it expects: " + badTarget);
        otherExit.Should().NotBe(0, other);
        wrongExit.Should().NotBe(0, wrong);
        noneExit.Should().NotBe(0, none);

        // The target restored from the state file is guarded alike.
        await daemon.DisposeAsync();
        daemon = _daemon = await Qcow2TargetDaemon.StartAsync(_folder.FullName, _disks, daemon.Port, configFile: config);
        await AssertGuardedAsync(daemon);
    }

    private static async Task AssertGuardedAsync(Qcow2TargetDaemon daemon)
    {
        var portal = new IPEndPoint(IPAddress.Loopback, daemon.Port);
        (await LoginAsync(portal, Other, ("alice", Secret))).Should().Be(0x0202, "an initiator not listed is not authorized");
        (await LoginAsync(portal, Allowed, null)).Should().Be(0x0201, "a login without CHAP fails authentication");
        (await LoginAsync(portal, Allowed, ("alice", "wrong-secret-99"))).Should().Be(0x0201, "a wrong secret fails authentication");

        await using var initiator = await TestInitiator.ConnectAsync(portal);
        (await initiator.LoginAsync(Target, Allowed, ("alice", Secret), ("array", TargetSecret))).Should().Be(0, daemon.Log);
        var read = await initiator.ExecuteAsync(0, Cdb.Read10(0, 8), 8 * 512, read: true);
        read.Status.Should().Be(ScsiStatus.Good);
        read.Data.Should().HaveCount(8 * 512).And.OnlyContain(b => b == 0);
        await initiator.LogoutAsync();
    }

    private static async Task<ushort> LoginAsync(IPEndPoint portal, string initiatorName, (string, string)? chap)
    {
        await using var initiator = await TestInitiator.ConnectAsync(portal);
        ushort status = await initiator.LoginAsync(Target, initiatorName, chap);
        if (status != 0)
        {
            (await initiator.IsClosedByTargetAsync()).Should().BeTrue("nothing is served after a Login Reject");
        }

        return status;
    }
}
