using Targetd.Tests.Support;

namespace Targetd.Tests.KernelGuest;

/// <summary>
/// Linux's initiator (open-iscsi and the kernel's iscsi_tcp, in the kernel guest) against both daemons on the host:
/// discovery, logins with each authentication mode, a file system made, written, checked and read back across a
/// logout, LUNs added and resized while logged in.
/// </summary>
[Category("Interop")]
[Category("KernelGuest")]
[NonParallelizable]
public sealed class OpenIscsiKernelGuestTests
{
    private const string Target = TargetdProcess.TargetName;

    private Support.KernelGuest _guest = null!;
    private GuestInitiator _initiator = null!;
    private DirectoryInfo _folder = null!;
    private TargetdProcess _targetd = null!;

    private TargetdRpcClient Rpc => _targetd.Rpc;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _guest = await Support.KernelGuest.SharedAsync();
        _initiator = new GuestInitiator(_guest);
        _folder = Directory.CreateTempSubdirectory("targetd-open-iscsi-");
        _targetd = await TargetdProcess.StartAsync(_folder.FullName);
        await Rpc.ResultAsync("vol_create", new { pool = "images", name = "disk1", size = 64L << 20 });
        await Rpc.ResultAsync("export_create", new { pool = "images", vol = "disk1", initiator_wwn = Support.KernelGuest.InitiatorName, lun = 0 });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _initiator.LogoutAsync(_targetd.PortalPort, Target);
        await _targetd.DisposeAsync();
        _folder.Delete(recursive: true);
    }

    [TearDown]
    public async Task LogOutAsync() => await _initiator.LogoutAsync(_targetd.PortalPort, Target);

    [Test, Order(1)]
    public async Task Discovery_finds_the_target_and_a_file_system_survives_a_logout()
    {
        (await _initiator.DiscoverAsync(_targetd.PortalPort)).Should().Equal(Target);

        await LoginOkAsync();
        string device = await _initiator.DeviceAsync(_targetd.PortalPort, Target, 0);
        (await _initiator.SizeAsync(device)).Should().Be(64L << 20);
        string written = await _guest.RunOkAsync($"""
            set -e
            mkfs.ext4 -q -F {device}
            mkdir -p /mnt/iscsi && mount {device} /mnt/iscsi
            dd if=/dev/urandom of=/mnt/iscsi/data bs=1M count=4 2>/dev/null
            sha256sum < /mnt/iscsi/data
            umount /mnt/iscsi
            fsck.ext4 -fn {device} >/dev/null 2>&1
            """);
        await _initiator.LogoutAsync(_targetd.PortalPort, Target);

        await LoginOkAsync();
        device = await _initiator.DeviceAsync(_targetd.PortalPort, Target, 0);
        string read = await _guest.RunOkAsync($"""
            set -e
            fsck.ext4 -fn {device} >/dev/null 2>&1
            mount -o ro {device} /mnt/iscsi
            sha256sum < /mnt/iscsi/data
            umount /mnt/iscsi
            """);
        read.Should().Be(written);
    }

    [Test, Order(2)]
    public async Task A_lun_added_or_resized_while_logged_in_is_seen_on_rescan()
    {
        await LoginOkAsync();
        string device = await _initiator.DeviceAsync(_targetd.PortalPort, Target, 0);

        await Rpc.ResultAsync("vol_create", new { pool = "images", name = "disk2", size = 32L << 20 });
        await Rpc.ResultAsync("export_create", new { pool = "images", vol = "disk2", initiator_wwn = Support.KernelGuest.InitiatorName, lun = 1 });
        await Rpc.ResultAsync("vol_resize", new { pool = "images", name = "disk1", size = 96L << 20 });
        await _initiator.RescanAsync();

        string added = await _initiator.DeviceAsync(_targetd.PortalPort, Target, 1);
        (await _initiator.SizeAsync(added)).Should().Be(32L << 20);
        (await _initiator.SizeAsync(device)).Should().Be(96L << 20);
        await _guest.RunOkAsync($"dd if=/dev/zero of={added} bs=1M count=1 oflag=direct 2>/dev/null");
    }

    [Test, Order(3)]
    public async Task Chap_and_mutual_chap_are_enforced_against_the_kernel_initiator()
    {
        var chap = new Chap("guest-user", "guestsecret1234");
        var targetChap = new Chap("target-user", "targetsecret567");
        await Rpc.ResultAsync("initiator_set_auth", new { initiator_wwn = Support.KernelGuest.InitiatorName, in_user = chap.User, in_pass = chap.Secret, out_user = (string?)null, out_pass = (string?)null });
        try
        {
            (await _initiator.LoginAsync(_targetd.PortalPort, Target)).LoggedIn.Should().BeFalse("CHAP is required");
            (await _initiator.LoginAsync(_targetd.PortalPort, Target, chap with { Secret = "wrongsecret1234" })).LoggedIn.Should().BeFalse("the secret is wrong");
            await LoginOkAsync(chap);
            await _initiator.DeviceAsync(_targetd.PortalPort, Target, 0);
            await _initiator.LogoutAsync(_targetd.PortalPort, Target);

            await Rpc.ResultAsync("initiator_set_auth", new { initiator_wwn = Support.KernelGuest.InitiatorName, in_user = chap.User, in_pass = chap.Secret, out_user = targetChap.User, out_pass = targetChap.Secret });
            (await _initiator.LoginAsync(_targetd.PortalPort, Target, chap, targetChap with { Secret = "notthetarget12" })).LoggedIn
                .Should().BeFalse("the initiator refuses a target that does not know the mutual secret");
            await LoginOkAsync(chap, targetChap);
            string device = await _initiator.DeviceAsync(_targetd.PortalPort, Target, 0);
            (await _guest.RunOkAsync($"""
                set -e
                head -c 65536 /dev/urandom > /tmp/chap.bin
                dd if=/tmp/chap.bin of={device} bs=64k seek=100 oflag=direct 2>/dev/null
                dd if={device} bs=64k skip=100 count=1 iflag=direct 2>/dev/null | cmp - /tmp/chap.bin && echo same
                """)).Should().Be("same\n");
        }
        finally
        {
            await _initiator.LogoutAsync(_targetd.PortalPort, Target);
            await Rpc.ResultAsync("initiator_set_auth", new { initiator_wwn = Support.KernelGuest.InitiatorName, in_user = (string?)null, in_pass = (string?)null, out_user = (string?)null, out_pass = (string?)null });
        }
    }

    [Test, Order(4)]
    public async Task A_qcow2_overlay_written_by_linux_through_qcow2target_passes_qemu_img_check()
    {
        ExternalTool.Require("qemu-img");
        const string target = "iqn.2024-01.net.targetd:qcow2-overlay";
        var folder = Directory.CreateTempSubdirectory("targetd-overlay-");
        try
        {
            string disks = Directory.CreateDirectory(Path.Combine(folder.FullName, "disks")).FullName;
            await ExternalTool.RunOkAsync("qemu-img", "create", "-q", "-f", "qcow2", Path.Combine(disks, "base.qcow2"), "48M");
            await ExternalTool.RunOkAsync("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", Path.Combine(disks, "overlay.qcow2"));
            string baseBefore = await ExternalTool.RunOkAsync("sha256sum", Path.Combine(disks, "base.qcow2"));
            await using (var daemon = await Qcow2TargetDaemon.StartAsync(folder.FullName, disks))
            {
                await daemon.OkAsync("ADDTARGET", new { target_name = target });
                await daemon.OkAsync("ATTACH", new { target_name = target, disk_path = "overlay.qcow2" });
                (await _initiator.DiscoverAsync(daemon.Port)).Should().Contain(target);
                (await _initiator.LoginAsync(daemon.Port, target)).LoggedIn.Should().BeTrue();
                try
                {
                    string device = await _initiator.DeviceAsync(daemon.Port, target, 0);
                    await _guest.RunOkAsync($"""
                        set -e
                        mkfs.ext4 -q -F {device}
                        mount {device} /mnt/iscsi
                        dd if=/dev/urandom of=/mnt/iscsi/data bs=1M count=4 2>/dev/null
                        umount /mnt/iscsi
                        fsck.ext4 -fn {device} >/dev/null 2>&1
                        """);
                }
                finally
                {
                    await _initiator.LogoutAsync(daemon.Port, target);
                }

                await daemon.OkAsync("DETACHLUN", new { target_name = target, lun_id = 0 });
            }

            var check = await ExternalTool.RunAsync("qemu-img", "check", Path.Combine(disks, "overlay.qcow2"));
            check.ExitCode.Should().Be(0, check.StandardOutput + check.StandardError);
            check.StandardOutput.Should().Contain("No errors were found");
            (await ExternalTool.RunOkAsync("sha256sum", Path.Combine(disks, "base.qcow2"))).Should().Be(baseBefore, "writes go to the overlay");
            (await ExternalTool.RunOkAsync("qemu-img", "map", "--output=json", Path.Combine(disks, "overlay.qcow2"))).Should().Contain("\"depth\": 0, \"present\": true");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private async Task LoginOkAsync(Chap? chap = null, Chap? targetChap = null)
    {
        var (loggedIn, output) = await _initiator.LoginAsync(_targetd.PortalPort, Target, chap, targetChap);
        loggedIn.Should().BeTrue(output);
    }
}
