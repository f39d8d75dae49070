using System.Text.RegularExpressions;
using Targetd.Tests.Support;

namespace Targetd.Tests.KernelGuest;

/// <summary>
/// Linux's dm-multipath (in the kernel guest) over two network paths to one LUN of our target on the host: one map
/// with two paths and the ALUA handler attached, I/O that goes on while either path is cut, and a path that is used
/// again once it returns.
/// </summary>
[Category("Interop")]
[Category("KernelGuest")]
[NonParallelizable]
public sealed partial class MultipathKernelGuestTests
{
    private const string Target = TargetdProcess.TargetName;

    [Test]
    [CancelAfter(600_000)]
    public async Task One_map_over_two_paths_keeps_io_going_when_either_path_is_cut()
    {
        var guest = await Support.KernelGuest.SharedAsync();
        var initiator = new GuestInitiator(guest);
        var folder = Directory.CreateTempSubdirectory("targetd-multipath-");
        await using var targetd = await TargetdProcess.StartAsync(folder.FullName);
        await using var first = new TcpRelay(targetd.PortalPort);
        await using var second = new TcpRelay(targetd.PortalPort);
        first.Start();
        second.Start();
        try
        {
            await targetd.Rpc.ResultAsync("vol_create", new { pool = "images", name = "shared", size = 64L << 20 });
            await targetd.Rpc.ResultAsync("export_create", new { pool = "images", vol = "shared", initiator_wwn = Support.KernelGuest.InitiatorName, lun = 0 });
            foreach (var relay in new[] { first, second })
            {
                var (loggedIn, output) = await initiator.LoginAsync(relay.Port, Target);
                loggedIn.Should().BeTrue(output);
                await initiator.DeviceAsync(relay.Port, Target, 0);
            }

            await guest.RunOkAsync("multipathd && multipath -r >/dev/null");
            string map = await WaitForPathsAsync(guest, active: 2);
            Regex.Count(map, @"\d+:\d+:\d+:\d+ sd[a-z]+").Should().Be(2, "one map holds both paths:\n" + map);
            map.Should().Contain("hwhandler='1 alua'", "the LUN reports implicit ALUA, so Linux's ALUA handler attaches");
            string path = Regex.Match(map, @"\d+:\d+:\d+:\d+ (sd[a-z]+)").Groups[1].Value;
            string groups = await guest.RunOkAsync($"sg_rtpg /dev/{path}");
            groups.Should().Contain("target port group id : 0x1 , Pref=1")
                .And.Contain("asymmetric access state : 0x00", "active/optimized")
                .And.Contain("AO_SUP : 1");

            int round = 0;
            foreach (var (cut, kept) in new[] { (first, second), (second, first) })
            {
                round++;
                await cut.CutAsync();
                string written = await WriteAsync(guest, round);
                (await WaitForPathsAsync(guest, active: 1)).Should().Contain("failed", "the cut path is marked failed");
                (await ReadAsync(guest, round)).Should().Be(written, "I/O went on through the other path");

                cut.Start();
                await WaitForPathsAsync(guest, active: 2);
            }
        }
        finally
        {
            await guest.RunAsync("multipath -F; multipathd shutdown; sleep 1");
            await initiator.LogoutAsync(first.Port, Target);
            await initiator.LogoutAsync(second.Port, Target);
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Writes 4 MiB of random data at a round's offset through the map and returns its checksum.</summary>
    internal static async Task<string> WriteAsync(Support.KernelGuest guest, int round) =>
        await guest.RunOkAsync($"""
            set -e
            head -c 4194304 /dev/urandom > /tmp/mp.bin
            dd if=/tmp/mp.bin of=/dev/mapper/mpatha bs=1M seek={round * 8} oflag=direct 2>/dev/null
            sha256sum < /tmp/mp.bin
            """, TimeSpan.FromMinutes(2));

    internal static async Task<string> ReadAsync(Support.KernelGuest guest, int round) =>
        await guest.RunOkAsync($"dd if=/dev/mapper/mpatha bs=1M skip={round * 8} count=4 iflag=direct 2>/dev/null | sha256sum", TimeSpan.FromMinutes(2));

    /// <summary>Waits (up to 90 s) until the map has this many active paths, and returns <c>multipath -ll</c>.</summary>
    internal static async Task<string> WaitForPathsAsync(Support.KernelGuest guest, int active)
    {
        string map = string.Empty;
        for (int i = 0; i < 90; i++)
        {
            map = await guest.RunOkAsync("multipath -ll mpatha 2>/dev/null");
            if (ActivePath().Count(map) == active)
            {
                return map;
            }

            await Task.Delay(1000);
        }

        Assert.Fail($"mpatha did not reach {active} active paths:\n{map}");
        return map;
    }

    [GeneratedRegex(@"sd[a-z]+\s+\d+:\d+\s+active\s+ready\s+running")]
    private static partial Regex ActivePath();
}
