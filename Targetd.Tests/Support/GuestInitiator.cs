using System.Globalization;

namespace Targetd.Tests.Support;

/// <summary>
/// Linux's own iSCSI initiator (open-iscsi: iscsiadm, iscsid, the kernel's iscsi_tcp) in the kernel guest, logging
/// in to targets on the host's loopback, which the guest reaches as <see cref="KernelGuest.HostAddress"/>.
/// </summary>
internal sealed class GuestInitiator(KernelGuest guest)
{
    /// <summary>SendTargets discovery through a host port; returns the target names found.</summary>
    public async Task<IReadOnlyList<string>> DiscoverAsync(int port)
    {
        string portal = Portal(port);
        string output = await guest.RunOkAsync($"iscsiadm -m discovery -t sendtargets -p {portal}");

        // The target advertises its own address (127.0.0.1, the host's loopback): records for it are of no use here.
        await guest.RunAsync($"iscsiadm -m discoverydb -t sendtargets -p {portal} -o delete");
        await guest.RunAsync("iscsiadm -m node -p 127.0.0.1 -o delete");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ').Last().Trim())
            .ToList();
    }

    /// <summary>
    /// Logs in to a target through a host port, with CHAP when a user is given (mutual CHAP when a target user is
    /// given too); returns whether the login succeeded, and iscsiadm's output.
    /// </summary>
    public async Task<(bool LoggedIn, string Output)> LoginAsync(int port, string target, Chap? chap = null, Chap? targetChap = null)
    {
        string node = Node(port, target);
        string set = $"iscsiadm -m node {node} -o update -n";
        var script = new List<string>
        {
            $"iscsiadm -m node {node} -o delete 2>/dev/null",
            $"iscsiadm -m node {node} -o new >/dev/null",
            $"{set} node.session.auth.authmethod -v {(chap is null ? "None" : "CHAP")}",
            $"{set} node.session.initial_login_retry_max -v 1",
            $"{set} node.conn[0].timeo.login_timeout -v 10",
            $"{set} node.session.timeo.replacement_timeout -v 5",
        };
        if (chap is not null)
        {
            script.Add($"{set} node.session.auth.username -v '{chap.User}'");
            script.Add($"{set} node.session.auth.password -v '{chap.Secret}'");
        }

        if (targetChap is not null)
        {
            script.Add($"{set} node.session.auth.username_in -v '{targetChap.User}'");
            script.Add($"{set} node.session.auth.password_in -v '{targetChap.Secret}'");
        }

        script.Add($"iscsiadm -m node {node} --login");
        var result = await guest.RunAsync(string.Join('\n', script), TimeSpan.FromMinutes(2));
        return (result.ExitCode == 0, result.StandardOutput);
    }

    /// <summary>Logs out of a target (nothing to do when no session is open).</summary>
    public async Task LogoutAsync(int port, string target) =>
        await guest.RunAsync($"iscsiadm -m node {Node(port, target)} --logout; udevadm settle", TimeSpan.FromMinutes(2));

    /// <summary>Asks every session to scan for new LUNs and changed capacities.</summary>
    public async Task RescanAsync() => await guest.RunOkAsync("iscsiadm -m session --rescan && udevadm settle");

    /// <summary>The guest's block device for a LUN, waiting up to 30 s for udev to make it.</summary>
    public async Task<string> DeviceAsync(int port, string target, int lun)
    {
        string link = string.Create(CultureInfo.InvariantCulture, $"/dev/disk/by-path/ip-{Portal(port)}-iscsi-{target}-lun-{lun}");
        string device = await guest.RunOkAsync($"""
            i=0
            while [ ! -b {link} ] && [ $i -lt 150 ]; do sleep 0.2; i=$((i+1)); done
            readlink -f {link}
            """);
        device = device.Trim();
        device.Should().StartWith("/dev/sd", $"LUN {lun} of {target} appears as a SCSI disk");
        return device;
    }

    /// <summary>The size of a block device in the guest, in bytes.</summary>
    public async Task<long> SizeAsync(string device) =>
        long.Parse((await guest.RunOkAsync($"blockdev --getsize64 {device}")).Trim(), CultureInfo.InvariantCulture);

    private static string Portal(int port) => string.Create(CultureInfo.InvariantCulture, $"{KernelGuest.HostAddress}:{port}");

    private static string Node(int port, string target) => $"-T {target} -p {Portal(port)}";
}
