using System.Text.RegularExpressions;
using Targetd.Iscsi.Scsi;
using Targetd.Tests.Support;
using static Targetd.Tests.KernelGuest.MultipathKernelGuestTests;

namespace Targetd.Tests.Storage.Rbd.Cluster;

/// <summary>
/// Linux's dm-multipath with the ALUA handler (in the kernel guest) over two gateway processes on the host serving
/// one RBD volume: one map, the owner group's path active at priority 50, and I/O that goes on through the other
/// gateway when the owner's process is killed.
/// </summary>
[Category("Interop")]
[Category("KernelGuest")]
[NonParallelizable]
public sealed partial class RbdAluaMultipathKernelGuestTests
{
    private const string Target = TargetdProcess.TargetName;

    [OneTimeTearDown]
    public static async Task StopGuestAsync() => await Support.KernelGuest.StopSharedAsync();

    [Test]
    [CancelAfter(600_000)]
    public async Task The_owner_gateways_path_is_the_active_group_and_io_survives_its_death()
    {
        var guest = await Support.KernelGuest.SharedAsync();
        var initiator = new GuestInitiator(guest);
        var folders = Directory.CreateTempSubdirectory("targetd-rbd-alua-mp-");
        var gateways = new[]
        {
            await TargetdProcess.StartAsync(folders.CreateSubdirectory("one").FullName, Yaml(1)),
            await TargetdProcess.StartAsync(folders.CreateSubdirectory("two").FullName, Yaml(2)),
        };
        var relays = gateways.Select(g => new TcpRelay(g.PortalPort)).ToArray();
        int killed = 0;
        try
        {
            await gateways[0].CallAsync("vol_create", new { pool = "ceph", name = "alua-mp", size = 64L << 20 });
            foreach (var gateway in gateways)
            {
                await gateway.CallAsync("export_create", new { pool = "ceph", vol = "alua-mp", initiator_wwn = Support.KernelGuest.InitiatorName, lun = 0 });
            }

            var volumes = await gateways[0].CallAsync("vol_list", new { pool = "ceph" });
            string serial = (string)volumes["result"]!.Single(v => (string?)v["name"] == "alua-mp")["uuid"]!;
            int owner = new TargetPortGroupSettings(1, [1, 2], AluaOptimizedRule.Spread).For(ScsiDeviceIdentity.FromSerial(serial), shared: true).Optimized;
            var devices = new List<string>();
            foreach (var relay in relays)
            {
                relay.Start();
                var (loggedIn, output) = await initiator.LoginAsync(relay.Port, Target);
                loggedIn.Should().BeTrue(output);
                devices.Add((await initiator.DeviceAsync(relay.Port, Target, 0))["/dev/".Length..]);
            }

            await guest.RunOkAsync("multipathd && multipath -r >/dev/null");
            await WaitForPathsAsync(guest, active: 2);
            string written = await WriteAsync(guest, 1);
            string map = await guest.RunOkAsync("multipath -ll mpatha 2>/dev/null");
            Regex.Count(map, @"\d+:\d+:\d+:\d+ sd[a-z]+").Should().Be(2, "one map holds both gateways' paths:\n" + map);
            map.Should().Contain("hwhandler='1 alua'");
            OptimizedPath().Match(map).Groups[1].Value.Should().Be(devices[owner - 1], $"group {owner} owns the volume, so its path is the active, priority 50 group:\n{map}");
            (await guest.RunOkAsync($"sg_rtpg -d /dev/{devices[0]}")).Should().Contain("target port group id : 0x1").And.Contain("target port group id : 0x2");

            killed = owner;
            await gateways[owner - 1].DisposeAsync();
            string again = await WriteAsync(guest, 2);
            (await WaitForPathsAsync(guest, active: 1)).Should().Contain("failed", "the killed gateway's path is marked failed");
            (await ReadAsync(guest, 1)).Should().Be(written, "what went through the owner is read through the other gateway");
            (await ReadAsync(guest, 2)).Should().Be(again, "I/O went on through the non-optimized gateway");
        }
        finally
        {
            await guest.RunAsync("multipath -F; multipathd shutdown; sleep 1");
            foreach (var relay in relays)
            {
                await initiator.LogoutAsync(relay.Port, Target);
                await relay.DisposeAsync();
            }

            foreach (var gateway in gateways.Where((_, i) => i != killed - 1))
            {
                await gateway.DisposeAsync();
            }

            folders.Delete(recursive: true);
        }
    }

    private static string Yaml(int group) => $"""
        {RbdExportInteropTests.RbdYaml}
        target_port_group: {group}
        target_port_groups: [1, 2]
        """;

    /// <summary>The first path of the path group <c>multipath -ll</c> shows at priority 50 and active.</summary>
    [GeneratedRegex(@"prio=50 status=active\s*\n[|` ]*[`|]- \d+:\d+:\d+:\d+ (sd[a-z]+)")]
    private static partial Regex OptimizedPath();
}
