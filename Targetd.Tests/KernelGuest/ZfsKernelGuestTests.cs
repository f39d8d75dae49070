using System.Globalization;
using Newtonsoft.Json.Linq;
using Targetd.Tests.Support;

namespace Targetd.Tests.KernelGuest;

/// <summary>
/// targetd's ZFS pools on real OpenZFS: a zpool on a file in the kernel guest with a block dataset (<c>zfs_block_pools</c>)
/// and a mounted file-system dataset (<c>fs_pools</c>), the daemon running there; zvol exports are reached from the
/// host through the forwarded portal, and NFS exports of ZFS file systems are mounted in the guest.
/// </summary>
[Category("Interop")]
[Category("KernelGuest")]
[NonParallelizable]
public sealed class ZfsKernelGuestTests
{
    private const string Zpool = "tank-targetd";
    private const string Block = Zpool + "/block";
    private const string Fs = Zpool + "/fs";
    private const string FsPool = "/" + Fs;
    private const string Image = "/srv/zpool.img";
    private const string ExportsFile = "/etc/exports.d/targetd.exports";
    private const string A = "iqn.2024-01.org.example:zfs-a";
    private const string B = "iqn.2024-01.org.example:zfs-b";

    private Support.KernelGuest _guest = null!;
    private GuestTargetd _targetd = null!;

    private TargetdRpcClient Rpc => _targetd.Rpc;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _guest = await Support.KernelGuest.SharedAsync();
        await _guest.RunOkAsync($"""
            set -e
            modprobe zfs
            mkdir -p /etc/exports.d
            truncate -s 1G {Image}
            zpool create -f -m /{Zpool} {Zpool} {Image}
            zfs create {Block}
            zfs create {Fs}
            """);
        _targetd = await StartTargetdAsync(copyEnabled: false);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_targetd is not null)
        {
            await _targetd.KillAsync();
        }

        await _guest.RunAsync($$"""
            for m in $(awk '$2 ~ "^/mnt/nfs-zfs" { print $2 }' /proc/mounts); do umount -f $m; done
            rm -f {{ExportsFile}}; exportfs -ra
            zpool destroy -f {{Zpool}}
            rm -f {{Image}}
            """);
    }

    [Test]
    public async Task Pool_list_gives_the_datasets_sizes_and_the_block_pools_guid_as_a_number()
    {
        var block = await PropertiesAsync(Block, "used,available,guid");
        var fs = await PropertiesAsync(Fs, "used,available");

        var pools = (JArray)await Rpc.ResultAsync("pool_list", new { });

        var blockPool = pools.Single(p => p.Value<string>("name") == Block);
        blockPool.Value<string>("type").Should().Be("block");
        blockPool.Value<long>("size").Should().Be(long.Parse(block["used"], CultureInfo.InvariantCulture) + long.Parse(block["available"], CultureInfo.InvariantCulture));
        blockPool.Value<long>("free_size").Should().Be(long.Parse(block["available"], CultureInfo.InvariantCulture));
        blockPool["uuid"]!.Type.Should().Be(JTokenType.Integer, "targetd sends a ZFS pool's guid as a JSON number");
        blockPool["uuid"]!.ToString(Newtonsoft.Json.Formatting.None).Should().Be(block["guid"]);
        var fsPool = pools.Single(p => p.Value<string>("name") == FsPool);
        fsPool.Value<string>("type").Should().Be("fs");
        fsPool.Value<long>("size").Should().Be(long.Parse(fs["used"], CultureInfo.InvariantCulture) + long.Parse(fs["available"], CultureInfo.InvariantCulture));
        ((JObject)fsPool).ContainsKey("uuid").Should().BeFalse();
    }

    [Test]
    public async Task Create_list_resize_and_destroy_make_and_change_real_zvols()
    {
        await Rpc.ResultAsync("vol_create", new { pool = Block, name = "life", size = 64L << 20 });
        var zvol = await PropertiesAsync($"{Block}/life", "type,volsize,guid");
        zvol["type"].Should().Be("volume");
        zvol["volsize"].Should().Be((64L << 20).ToString(CultureInfo.InvariantCulture));
        var listed = ((JArray)await Rpc.ResultAsync("vol_list", new { pool = Block })).Single(v => v.Value<string>("name") == "life");
        listed["uuid"]!.Type.Should().Be(JTokenType.String);
        listed.Value<string>("uuid").Should().Be(zvol["guid"]);
        listed.Value<long>("size").Should().Be(64L << 20);

        await Rpc.ResultAsync("vol_resize", new { pool = Block, name = "life", size = 96L << 20 });
        (await PropertiesAsync($"{Block}/life", "volsize"))["volsize"].Should().Be((96L << 20).ToString(CultureInfo.InvariantCulture));

        await Rpc.ResultAsync("vol_destroy", new { pool = Block, name = "life" });
        (await _guest.RunAsync($"zfs list {Block}/life")).ExitCode.Should().NotBe(0, "the zvol is gone");
        ((JArray)await Rpc.ResultAsync("vol_list", new { pool = Block })).Should().NotContain(v => v.Value<string>("name") == "life");
    }

    [Test]
    public async Task Refusals_have_targetds_codes_and_change_nothing()
    {
        await Rpc.ResultAsync("vol_create", new { pool = Block, name = "taken", size = 8L << 20 });
        string before = await DatasetsAsync();

        (await Rpc.ErrorAsync("vol_create", new { pool = Block, name = "taken", size = 8L << 20 })).Code.Should().Be(-50);
        var badName = await Rpc.ErrorAsync("vol_create", new { pool = Block, name = "-bad", size = 8L << 20 });
        badName.Code.Should().Be(-32602);
        badName.Message.Should().StartWith("Invalid dataset name");
        var tooBig = await Rpc.ErrorAsync("vol_create", new { pool = Block, name = "huge", size = 64L << 30 });
        tooBig.Should().Be((-303, $"Could not create volume huge on pool {Block}"));
        (await Rpc.ErrorAsync("vol_resize", new { pool = Block, name = "taken", size = 4L << 20 })).Code.Should().Be(-32602);
        (await Rpc.ErrorAsync("vol_destroy", new { pool = Block, name = "nosuch" })).Code.Should().Be(-103);
        (await Rpc.ErrorAsync("vol_create", new { pool = Zpool + "/nosuch", name = "x", size = 8L << 20 })).Code.Should().Be(-110);
        (await Rpc.ErrorAsync("vol_copy", new { pool = Block, vol_orig = "taken", vol_new = "copy" }))
            .Should().Be((-153, "Copy on ZFS disabled. Consult manual before enabling it."));
        (await Rpc.ErrorAsync("fs_create", new { pool_name = FsPool, name = "bad name", size_bytes = 0 })).Code.Should().Be(-32602);

        (await DatasetsAsync()).Should().Be(before);
        await Rpc.ResultAsync("vol_destroy", new { pool = Block, name = "taken" });
    }

    [Test]
    public async Task A_zvol_export_reaches_its_initiator_only_and_carries_the_data_both_ways()
    {
        ExternalTool.Require("qemu-io");
        ExternalTool.Require("iscsi-inq");
        await Rpc.ResultAsync("vol_create", new { pool = Block, name = "exp", size = 16L << 20 });
        await Rpc.ResultAsync("export_create", new { pool = Block, vol = "exp", initiator_wwn = A, lun = 2 });

        await ExternalTool.RunOkAsync("qemu-io", "--image-opts", "-c", "write -P 0x5a 0 64k", _targetd.LunDriver(2, A));
        (await _guest.RunOkAsync($"dd if=/dev/zvol/{Block}/exp bs=64k count=1 iflag=direct 2>/dev/null | tr -d '\\132' | wc -c")).Trim().Should().Be("0");
        await _guest.RunOkAsync($"head -c 65536 /dev/zero | tr '\\000' '\\063' | dd of=/dev/zvol/{Block}/exp bs=64k seek=16 oflag=direct 2>/dev/null");
        await ExternalTool.RunOkAsync("qemu-io", "--image-opts", "-c", "read -P 0x33 1M 64k", _targetd.LunDriver(2, A));
        (await ExternalTool.RunAsync("iscsi-inq", "-i", B, _targetd.LunUrl(2))).ExitCode.Should().NotBe(0, "B is masked from the zvol");
        var export = ((JArray)await Rpc.ResultAsync("export_list", new { })).Single(e => e.Value<string>("vol_name") == "exp");
        export.Value<string>("pool").Should().Be(Block);
        export.Value<string>("vol_uuid").Should().Be((await PropertiesAsync($"{Block}/exp", "guid"))["guid"]);

        (await Rpc.ErrorAsync("vol_destroy", new { pool = Block, name = "exp" })).Code.Should().Be(-303, "an exported zvol is not destroyed");
        await Rpc.ResultAsync("export_destroy", new { pool = Block, vol = "exp", initiator_wwn = A });
        await Rpc.ResultAsync("vol_destroy", new { pool = Block, name = "exp" });
    }

    [Test]
    public async Task File_systems_snapshots_clones_and_an_nfs_export_are_real_zfs_datasets()
    {
        await Rpc.ResultAsync("fs_create", new { pool_name = FsPool, name = "share", size_bytes = 100L << 20 });
        (await PropertiesAsync($"{Fs}/share", "quota"))["quota"].Should().Be((100L << 20).ToString(CultureInfo.InvariantCulture), "size_bytes is the quota");
        var fs = ((JArray)await Rpc.ResultAsync("fs_list", new { })).Single(f => f.Value<string>("name") == "share");
        fs.Value<string>("pool").Should().Be(FsPool);
        fs.Value<string>("full_path").Should().Be($"{FsPool}/share");
        fs.Value<string>("uuid").Should().Be((await PropertiesAsync($"{Fs}/share", "guid"))["guid"]);
        fs.Value<long>("total_space").Should().Be(100L << 20, "used + available is the quota");
        (await Rpc.ErrorAsync("fs_create", new { pool_name = FsPool, name = "share", size_bytes = 0 })).Code.Should().Be(-53);

        // An NFS export of the ZFS file system, mounted in the guest: what is written lands in the dataset.
        await _guest.RunOkAsync("""
            for i in $(seq 60); do [ "$(cat /proc/fs/nfsd/v4_end_grace 2>/dev/null)" = Y ] && exit 0; sleep 0.5; done; exit 1
            """);
        await Rpc.ResultAsync("nfs_export_add", new { host = "127.0.0.1", path = $"{FsPool}/share", options = new[] { "rw", "no_root_squash" } });
        await _guest.RunOkAsync($"""
            set -e
            mkdir -p /mnt/nfs-zfs
            for i in $(seq 30); do timeout 60 mount -t nfs -o vers=4.2,retry=0 127.0.0.1:{FsPool}/share /mnt/nfs-zfs && break; sleep 1; done
            echo through-nfs > /mnt/nfs-zfs/file
            sync
            """);
        (await _guest.RunOkAsync($"cat {FsPool}/share/file")).Should().Be("through-nfs\n");
        await _guest.RunOkAsync("umount /mnt/nfs-zfs");
        await Rpc.ResultAsync("nfs_export_remove", new { host = "127.0.0.1", path = $"{FsPool}/share" });

        // A snapshot, listed with its guid and creation time.
        string uuid = fs.Value<string>("uuid")!;
        await Rpc.ResultAsync("fs_snapshot", new { fs_uuid = uuid, dest_ss_name = "before" });
        await _guest.RunOkAsync($"echo later > {FsPool}/share/file");
        var snapshot = ((JArray)await Rpc.ResultAsync("ss_list", new { fs_uuid = uuid })).Single();
        var real = await PropertiesAsync($"{Fs}/share@before", "guid,creation");
        snapshot.Value<string>("name").Should().Be("before");
        snapshot.Value<string>("uuid").Should().Be(real["guid"]);
        snapshot.Value<long>("timestamp").Should().Be(long.Parse(real["creation"], CultureInfo.InvariantCulture));
        (await Rpc.ErrorAsync("fs_snapshot", new { fs_uuid = uuid, dest_ss_name = "before" })).Code.Should().Be(-53);
        (await Rpc.ErrorAsync("fs_clone", new { fs_uuid = uuid, dest_fs_name = "clone", snapshot_id = snapshot.Value<string>("uuid") }))
            .Should().Be((-153, "Copy on ZFS disabled. Consult manual before enabling it."));

        await Rpc.ResultAsync("fs_snapshot_delete", new { fs_uuid = uuid, ss_uuid = snapshot.Value<string>("uuid") });
        ((JArray)await Rpc.ResultAsync("ss_list", new { fs_uuid = uuid })).Should().BeEmpty();
        await Rpc.ResultAsync("fs_destroy", new { uuid });
        (await _guest.RunAsync($"zfs list {Fs}/share")).ExitCode.Should().NotBe(0);
    }

    [Test]
    public async Task With_copies_enabled_vol_copy_and_fs_clone_are_zfs_clones_whose_origins_cannot_be_destroyed()
    {
        _targetd = await RestartAsync(copyEnabled: true);
        try
        {
            await Rpc.ResultAsync("vol_create", new { pool = Block, name = "src", size = 32L << 20 });
            await _guest.RunOkAsync($"for i in $(seq 50); do [ -e /dev/zvol/{Block}/src ] && break; sleep 0.1; done; dd if=/dev/urandom of=/dev/zvol/{Block}/src bs=1M count=4 oflag=direct 2>/dev/null");
            string written = await ChecksumAsync("src");

            await Rpc.ResultAsync("vol_copy", new { pool = Block, vol_orig = "src", vol_new = "copy" });
            await Rpc.ResultAsync("vol_copy", new { pool = Block, vol_orig = "src", vol_new = "bigger", size = 48L << 20 });

            (await PropertiesAsync($"{Block}/copy", "origin"))["origin"].Should().StartWith($"{Block}/src@copy", "a copy is a clone of a snapshot named after it");
            (await PropertiesAsync($"{Block}/bigger", "volsize"))["volsize"].Should().Be((48L << 20).ToString(CultureInfo.InvariantCulture));
            (await ChecksumAsync("copy")).Should().Be(written);
            (await ChecksumAsync("bigger")).Should().Be(written);
            (await Rpc.ErrorAsync("vol_copy", new { pool = Block, vol_orig = "src", vol_new = "copy" })).Code.Should().Be(-50);

            var refused = await Rpc.ErrorAsync("vol_destroy", new { pool = Block, name = "src" });
            refused.Should().Be((-32602, $"Volume src on {Block} has dependent clones and cannot be destroyed."));
            (await _guest.RunAsync($"zfs list {Block}/src")).ExitCode.Should().Be(0, "the source is still there");

            // fs_clone from a snapshot, and from the live file system.
            await Rpc.ResultAsync("fs_create", new { pool_name = FsPool, name = "origin", size_bytes = 0 });
            await _guest.RunOkAsync($"echo one > {FsPool}/origin/file");
            string uuid = ((JArray)await Rpc.ResultAsync("fs_list", new { })).Single(f => f.Value<string>("name") == "origin").Value<string>("uuid")!;
            await Rpc.ResultAsync("fs_snapshot", new { fs_uuid = uuid, dest_ss_name = "snap1" });
            await _guest.RunOkAsync($"echo two > {FsPool}/origin/file");
            var snapshot = ((JArray)await Rpc.ResultAsync("ss_list", new { fs_uuid = uuid })).Single(s => s.Value<string>("name") == "snap1");

            await Rpc.ResultAsync("fs_clone", new { fs_uuid = uuid, dest_fs_name = "from-snap", snapshot_id = snapshot.Value<string>("uuid") });
            await Rpc.ResultAsync("fs_clone", new { fs_uuid = uuid, dest_fs_name = "from-live", snapshot_id = (string?)null });

            (await PropertiesAsync($"{Fs}/from-snap", "origin"))["origin"].Should().Be($"{Fs}/origin@snap1");
            (await _guest.RunOkAsync($"cat {FsPool}/from-snap/file")).Should().Be("one\n");
            (await _guest.RunOkAsync($"cat {FsPool}/from-live/file")).Should().Be("two\n");
            var listed = ((JArray)await Rpc.ResultAsync("fs_list", new { })).Select(f => f.Value<string>("name")).ToList();
            listed.Should().Contain(["origin", "from-snap", "from-live"]);
            ((JArray)await Rpc.ResultAsync("ss_list", new { fs_uuid = uuid })).Select(s => s.Value<string>("name"))
                .Should().Contain("snap1").And.Contain(n => n!.StartsWith("from-live", StringComparison.Ordinal), "the live clone's snapshot stays");
            (await Rpc.ErrorAsync("fs_clone", new { fs_uuid = uuid, dest_fs_name = "from-snap", snapshot_id = (string?)null })).Code.Should().Be(-51);
            (await Rpc.ErrorAsync("fs_destroy", new { uuid })).Code.Should().Be(-32602, "its snapshots have clones");

            foreach (string name in new[] { "from-snap", "from-live", "origin" })
            {
                string id = ((JArray)await Rpc.ResultAsync("fs_list", new { })).Single(f => f.Value<string>("name") == name).Value<string>("uuid")!;
                await Rpc.ResultAsync("fs_destroy", new { uuid = id });
            }

            foreach (string name in new[] { "copy", "bigger", "src" })
            {
                await Rpc.ResultAsync("vol_destroy", new { pool = Block, name });
            }

            (await _guest.RunOkAsync($"zfs list -H -o name -r -t all {Zpool}")).Should().Be($"{Zpool}\n{Block}\n{Fs}\n");
        }
        finally
        {
            _targetd = await RestartAsync(copyEnabled: false);
        }
    }

    private async Task<GuestTargetd> StartTargetdAsync(bool copyEnabled) =>
        await GuestTargetd.StartAsync(_guest, "zfs", $"""
            zfs_block_pools: [{Block}]
            zfs_enable_copy: {(copyEnabled ? "true" : "false")}
            fs_pools: [{FsPool}]
            nfs_exports_file: {ExportsFile}
            """);

    private async Task<GuestTargetd> RestartAsync(bool copyEnabled)
    {
        await _targetd.KillAsync();
        return await StartTargetdAsync(copyEnabled);
    }

    /// <summary><c>zfs get -Hp -o property,value</c> of one dataset.</summary>
    private async Task<Dictionary<string, string>> PropertiesAsync(string dataset, string properties) =>
        (await _guest.RunOkAsync($"zfs get -Hp -o property,value {properties} {dataset}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);

    private async Task<string> DatasetsAsync() =>
        await _guest.RunOkAsync($"zfs list -Hp -o name,volsize,quota -r -t all {Zpool}");

    private async Task<string> ChecksumAsync(string name) =>
        (await _guest.RunOkAsync($"for i in $(seq 50); do [ -e /dev/zvol/{Block}/{name} ] && break; sleep 0.1; done; dd if=/dev/zvol/{Block}/{name} bs=1M count=4 iflag=direct 2>/dev/null | sha256sum")).Trim();
}
