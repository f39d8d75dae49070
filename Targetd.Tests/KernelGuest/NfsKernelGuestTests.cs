using Newtonsoft.Json.Linq;
using Targetd.Core.Processes;
using Targetd.Tests.Support;

namespace Targetd.Tests.KernelGuest;

/// <summary>
/// targetd's NFS methods on a real NFS server: a btrfs fs pool on a loop device in the kernel guest, the daemon
/// running there with its exports file in <c>/etc/exports.d</c>, kernel nfsd serving what it exports and the
/// guest's own NFS client (v3 and v4.2, through loopback) mounting it.
/// </summary>
[Category("Interop")]
[Category("KernelGuest")]
[NonParallelizable]
public sealed class NfsKernelGuestTests
{
    private const string Pool = "/srv/fs-pool";
    private const string Image = "/srv/fs-pool.img";
    private const string ExportsFile = "/etc/exports.d/targetd.exports";

    /// <summary>A mount from the guest to its own nfsd comes from loopback: the client exports are made for.</summary>
    private const string Client = "127.0.0.1";

    private Support.KernelGuest _guest = null!;
    private GuestTargetd _targetd = null!;

    private TargetdRpcClient Rpc => _targetd.Rpc;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _guest = await Support.KernelGuest.SharedAsync();
        await _guest.RunOkAsync($"""
            set -e
            mkdir -p /etc/exports.d {Pool}
            truncate -s 512M {Image}
            L=$(losetup -f --show {Image})
            mkfs.btrfs -q $L
            mount $L {Pool}
            """);
        _targetd = await GuestTargetd.StartAsync(_guest, "nfs", $"""
            fs_pools: [{Pool}]
            nfs_exports_file: {ExportsFile}
            allow_chown: true
            """);

        // nfsd starts with a 10 s NFSv4 grace period, in which v4 opens wait: wait for its end (nfsd reports it).
        await _guest.RunOkAsync("""
            for i in $(seq 60); do [ "$(cat /proc/fs/nfsd/v4_end_grace)" = Y ] && exit 0; sleep 0.5; done
            echo "nfsd still in its NFSv4 grace period"; exit 1
            """);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_targetd is not null)
        {
            await _targetd.KillAsync();
        }

        await _guest.RunAsync($$"""
            {{UnmountAll}}
            exportfs -s | awk '$1 ~ "^{{Pool}}/" { sub(/\(.*/, "", $2); print $2 ":" $1 }' | while read e; do exportfs -u "$e"; done
            rm -f {{ExportsFile}}
            umount {{Pool}}
            for l in $(losetup -j {{Image}} -O NAME -n); do losetup -d $l; done
            rm -f {{Image}}
            """);
    }

    /// <summary>Unmounts what a test mounted, stops the exports it made and destroys its file systems.</summary>
    [TearDown]
    public async Task CleanUpAsync()
    {
        await _guest.RunAsync(UnmountAll);
        foreach (var export in ((JArray)await Rpc.ResultAsync("nfs_export_list", new { })).Where(e => e.Value<string>("path")!.StartsWith(Pool + "/", StringComparison.Ordinal)))
        {
            await Rpc.ResultAsync("nfs_export_remove", new { host = export.Value<string>("host"), path = export.Value<string>("path") });
        }

        foreach (var fs in ((JArray)await Rpc.ResultAsync("fs_list", new { })).Where(f => f.Value<string>("pool") == Pool))
        {
            await Rpc.ResultAsync("fs_destroy", new { uuid = fs.Value<string>("uuid") });
        }
    }

    private static string UnmountAll => "for m in $(awk '$2 ~ \"^/mnt/nfs-\" { print $2 }' /proc/mounts); do umount -f $m; done";

    [Test]
    public async Task An_export_is_listed_as_targetd_lists_it_kept_in_the_exports_file_and_served_by_nfsd()
    {
        string path = await CreateAsync("listed");

        var added = await Rpc.ResultAsync("nfs_export_add", new { host = Client, path, options = new[] { "rw", "no_root_squash" } });

        JToken.DeepEquals(added, new JObject { ["host"] = Client, ["path"] = path }).Should().BeTrue(added.ToString());
        var listed = ((JArray)await Rpc.ResultAsync("nfs_export_list", new { })).Where(e => e.Value<string>("path") == path).ToList();
        listed.Should().ContainSingle();
        listed[0].Value<string>("host").Should().Be(Client);
        listed[0]["options"]!.Values<string>().Should().Equal("secure", "rw", "sync", "no_subtree_check", "wdelay", "hide", "no_root_squash", "no_all_squash", "sec=sys");
        (await _guest.RunOkAsync("exportfs -v")).Should().Contain(
            $"{path}\n\t\t{Client}(sync,wdelay,hide,no_subtree_check,sec=sys,rw,secure,no_root_squash,no_all_squash)\n");
        (await _guest.RunOkAsync($"showmount -e {Client}")).Should().Contain($"{path} {Client}\n", "mountd offers it");
        (await _guest.RunOkAsync($"grep -v '^#' {ExportsFile}")).Should().Be($"{path} {Client}(rw,no_root_squash,no_subtree_check)\n");
        (await _guest.RunOkAsync("exportfs -r 2>&1")).Should().BeEmpty("exportfs reads the exports file without a warning");
    }

    [Test]
    public async Task What_is_written_through_v3_and_v4_mounts_lands_in_the_btrfs_subvolume()
    {
        string path = await CreateAsync("data");
        await ExportAsync(path, ["rw", "no_root_squash"]);
        string v3 = await MountAsync(path, "3");
        string v4 = await MountAsync(path, "4.2");

        string mounts = await _guest.RunOkAsync("cat /proc/mounts");
        mounts.Should().Contain($"{Client}:{path} {v3} nfs rw,").And.Contain($"{Client}:{path} {v4} nfs4 rw,");
        string written = await _guest.RunOkAsync($"""
            set -e
            head -c 1048576 /dev/urandom > /tmp/nfs-data
            cp /tmp/nfs-data {v3}/through-v3; echo v4 > {v4}/through-v4; sync
            sha256sum < /tmp/nfs-data; rm /tmp/nfs-data
            """);

        (await _guest.RunOkAsync($"sha256sum < {path}/through-v3")).Should().Be(written, "the server's subvolume has the file");
        (await _guest.RunOkAsync($"sha256sum < {v4}/through-v3")).Should().Be(written, "the v4 mount reads it back");
        (await _guest.RunOkAsync($"cat {path}/through-v4 {v3}/through-v4")).Should().Be("v4\nv4\n");
        (await _guest.RunOkAsync($"btrfs subvolume show {path}")).Should().MatchRegex(@"\n\s*Name:\s+data\n", "it is a subvolume of the pool");
    }

    [Test]
    public async Task A_read_only_export_is_read_but_not_written([Values("3", "4.2")] string version)
    {
        string path = await CreateAsync("readonly");
        await _guest.RunOkAsync($"echo kept > {path}/file");
        await ExportAsync(path, ["ro", "no_root_squash"]);
        string mounted = await MountAsync(path, version);

        (await _guest.RunOkAsync($"cat {mounted}/file")).Should().Be("kept\n");
        var write = await _guest.RunAsync($"echo more >> {mounted}/file");
        var create = await _guest.RunAsync($"touch {mounted}/new");

        write.ExitCode.Should().NotBe(0);
        create.ExitCode.Should().NotBe(0);
        create.StandardOutput.Should().Contain("Read-only file system");
        (await _guest.RunOkAsync($"cat {path}/file; ls {path}")).Should().Be("kept\nfile\n");
    }

    [TestCase("3", new[] { "rw", "root_squash" }, "65534:65534", 0, "65534:65534")]
    [TestCase("4.2", new[] { "rw", "root_squash" }, "65534:65534", 0, "65534:65534")]
    [TestCase("3", new[] { "rw", "no_root_squash" }, null, 0, "0:0")]
    [TestCase("4.2", new[] { "rw", "no_root_squash" }, null, 0, "0:0")]
    [TestCase("3", new[] { "rw", "root_squash", "anonuid=1234", "anongid=1234" }, "1234:1234", 0, "1234:1234")]
    [TestCase("3", new[] { "rw", "all_squash", "anonuid=1234", "anongid=1234" }, "1234:1234", 1000, "1234:1234")]
    [TestCase("4.2", new[] { "rw", "all_squash", "anonuid=1234", "anongid=1234" }, "1234:1234", 1000, "1234:1234")]
    public async Task Squashing_decides_who_owns_what_a_client_creates(string version, string[] options, string? chown, int writer, string owner)
    {
        string path = await CreateAsync("squash");
        await ExportAsync(path, options, chown);
        string mounted = await MountAsync(path, version);

        await _guest.RunOkAsync($"setpriv --reuid={writer} --regid={writer} --clear-groups touch {mounted}/created");

        (await _guest.RunOkAsync($"stat -c %u:%g {path}/created")).Trim().Should().Be(owner);
    }

    [Test]
    public async Task Root_squash_leaves_other_users_their_own_ids()
    {
        string path = await CreateAsync("users");
        await _guest.RunOkAsync($"chmod 1777 {path}");
        await ExportAsync(path, ["rw", "root_squash"]);
        string mounted = await MountAsync(path, "3");

        await _guest.RunOkAsync($"setpriv --reuid=1000 --regid=1000 --clear-groups touch {mounted}/by-1000");

        (await _guest.RunOkAsync($"stat -c %u:%g {path}/by-1000")).Trim().Should().Be("1000:1000");
    }

    [Test]
    public async Task A_removed_export_is_gone_from_the_list_the_server_and_the_file_and_cannot_be_mounted()
    {
        string path = await CreateAsync("removed");
        await ExportAsync(path, ["rw"]);
        await _guest.RunOkAsync($"umount {await MountAsync(path, "3")}");

        (await Rpc.ResultAsync("nfs_export_remove", new { host = Client, path })).Type.Should().Be(JTokenType.Null);

        ((JArray)await Rpc.ResultAsync("nfs_export_list", new { })).Should().NotContain(e => e.Value<string>("path") == path);
        (await _guest.RunOkAsync("exportfs -v")).Should().NotContain(path);
        (await _guest.RunOkAsync($"cat {ExportsFile}")).Should().NotContain(path);
        foreach (string version in new[] { "3", "4.2" })
        {
            var mount = await MountOnceAsync(path, version);
            mount.ExitCode.Should().NotBe(0, $"v{version}: {mount.StandardOutput}");
            mount.StandardOutput.Should().MatchRegex("access denied|No such file or directory");
        }

        (await _guest.RunOkAsync("cat /proc/mounts")).Should().NotContain(path);
        (await Rpc.ErrorAsync("nfs_export_remove", new { host = Client, path })).Code.Should().Be(-400);
    }

    [Test]
    public async Task Exports_outlive_a_restart_of_targetd_and_of_the_nfs_server()
    {
        string path = await CreateAsync("kept");
        await ExportAsync(path, ["rw", "no_root_squash", "anonuid=1234"]);
        var before = ListedFor(path, await Rpc.ResultAsync("nfs_export_list", new { }));
        string line = await _guest.RunOkAsync($"grep ' {Client}(' {ExportsFile}");

        // targetd killed and, while it is down, the NFS server's table emptied and made again from the export
        // files as at boot: exportfs reads targetd's file, and targetd started again lists the export as before.
        await _targetd.KillAsync();
        await _guest.RunOkAsync($"exportfs -u {Client}:{path} && ! exportfs -v | grep -q {path} && exportfs -r && exportfs -v | grep -q {path}");
        await _targetd.StartAsync();
        JToken.DeepEquals(ListedFor(path, await Rpc.ResultAsync("nfs_export_list", new { })), before).Should().BeTrue();

        // The table emptied while targetd is down: targetd exports again what its file keeps when it starts.
        await _targetd.KillAsync();
        await _guest.RunOkAsync($"exportfs -u {Client}:{path} && ! exportfs -v | grep -q {path}");
        await _targetd.StartAsync();
        JToken.DeepEquals(ListedFor(path, await Rpc.ResultAsync("nfs_export_list", new { })), before).Should().BeTrue();
        (await _guest.RunOkAsync($"grep ' {Client}(' {ExportsFile}")).Should().Be(line);
        string mounted = await MountAsync(path, "4.2");
        await _guest.RunOkAsync($"touch {mounted}/after-restarts");
        (await _guest.RunOkAsync($"stat -c %u {path}/after-restarts")).Trim().Should().Be("0");
    }

    private static JToken ListedFor(string path, JToken list) => list.Single(e => e.Value<string>("path") == path);

    /// <summary>Makes a file system in the pool and returns its path (a btrfs subvolume of the pool).</summary>
    private async Task<string> CreateAsync(string name)
    {
        await Rpc.ResultAsync("fs_create", new { pool_name = Pool, name, size_bytes = 0 });
        string path = ((JArray)await Rpc.ResultAsync("fs_list", new { })).Single(f => f.Value<string>("name") == name).Value<string>("full_path")!;
        path.Should().Be($"{Pool}/targetd_fs/{name}");
        return path;
    }

    private async Task ExportAsync(string path, string[] options, string? chown = null) =>
        await Rpc.ResultAsync("nfs_export_add", new { host = Client, path, options, chown });

    /// <summary>Mounts <paramref name="path"/> with NFS <paramref name="version"/>; a mount refused for a moment is tried again for up to 30 s.</summary>
    private async Task<string> MountAsync(string path, string version)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var mount = await MountOnceAsync(path, version);
            if (mount.ExitCode == 0)
            {
                return MountPoint(path, version);
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"NFS v{version} mount of {path} failed: {mount.StandardOutput}");
            }

            await Task.Delay(1000);
        }
    }

    private async Task<ProcessResult> MountOnceAsync(string path, string version)
    {
        string mountPoint = MountPoint(path, version);
        string options = version == "3" ? "vers=3,nolock,retry=0" : $"vers={version},retry=0";
        return await _guest.RunAsync($"mkdir -p {mountPoint} && timeout 60 mount -t nfs -o {options} {Client}:{path} {mountPoint}");
    }

    private static string MountPoint(string path, string version) => $"/mnt/nfs-{Path.GetFileName(path)}-v{version}";
}
