using System.Globalization;

namespace Targetd.Tests.Support;

/// <summary>
/// The published <c>targetd</c> running inside the kernel guest, as root, on real LVM, btrfs and kernel nfsd: its
/// API on the guest's 18700 and its iSCSI portal on the guest's 3260, both forwarded to the host's loopback. Its
/// folder (<c>/srv/NAME</c> in the guest) holds the configuration, the state file and the log.
/// </summary>
internal sealed class GuestTargetd
{
    public const string TargetName = "iqn.2024-01.net.targetd:guest";

    private readonly KernelGuest _guest;
    private readonly string _folder;

    private GuestTargetd(KernelGuest guest, string folder)
    {
        _guest = guest;
        _folder = folder;
        Rpc = new TargetdRpcClient(new Uri($"http://127.0.0.1:{guest.HttpPort}/"));
    }

    public TargetdRpcClient Rpc { get; }

    /// <summary>The host-side URL of a LUN of the daemon's target (through the forwarded portal).</summary>
    public string LunUrl(int lun, string? user = null, string? password = null) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"iscsi://{(user is null ? string.Empty : $"{user}%{password}@")}127.0.0.1:{_guest.IscsiPort}/{TargetName}/{lun}");

    /// <summary>qemu's <c>--image-opts</c> for a LUN, as <paramref name="initiator"/>.</summary>
    public string LunDriver(int lun, string initiator) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"driver=iscsi,transport=tcp,portal=127.0.0.1:{_guest.IscsiPort},target={TargetName},lun={lun},initiator-name={initiator}");

    /// <summary>
    /// Writes a configuration (admin:secret, plain HTTP, the target and portal above, state in the folder, then
    /// <paramref name="yaml"/>) and starts the daemon.
    /// </summary>
    public static async Task<GuestTargetd> StartAsync(KernelGuest guest, string name, string yaml)
    {
        var targetd = new GuestTargetd(guest, "/srv/" + name);
        await guest.RunOkAsync($"""
            mkdir -p {targetd._folder}
            cat > {targetd._folder}/targetd.yaml <<'EOT'
            user: admin
            password: secret
            target_name: {TargetName}
            portal_addresses: [0.0.0.0:3260]
            listen_address: 0.0.0.0
            port: 18700
            ssl: false
            state_file: {targetd._folder}/state.json
            {yaml.ReplaceLineEndings("\n")}
            EOT
            """);
        await targetd.StartAsync();
        return targetd;
    }

    /// <summary>Starts the daemon on its existing folder and waits for its API.</summary>
    public async Task StartAsync()
    {
        await _guest.RunOkAsync($"""
            cd {_folder}
            setsid /share/targetd/targetd --config {_folder}/targetd.yaml >> {_folder}/log 2>&1 < /dev/null &
            echo $! > {_folder}/pid
            """);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                var reply = await Rpc.RequestAsync("pool_list", new { });
                if (reply["result"] is not null)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or Newtonsoft.Json.JsonReaderException or TaskCanceledException)
            {
                // not listening yet
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("targetd did not start in the guest: " + await LogAsync());
            }

            await Task.Delay(500);
        }
    }

    /// <summary>Kills the daemon (SIGKILL: nothing is written on the way out) and waits until it is gone.</summary>
    public async Task KillAsync() =>
        await _guest.RunAsync($"""
            p=$(cat {_folder}/pid 2>/dev/null) || exit 0
            kill -9 $p 2>/dev/null
            while kill -0 $p 2>/dev/null; do sleep 0.2; done
            """);

    public async Task<string> LogAsync() => (await _guest.RunAsync($"cat {_folder}/log")).StandardOutput;
}
