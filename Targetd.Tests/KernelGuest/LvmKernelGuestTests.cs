using System.Globalization;
using Newtonsoft.Json.Linq;
using Targetd.Tests.Support;

namespace Targetd.Tests.KernelGuest;

/// <summary>
/// targetd's block methods on real LVM: a plain volume group and a thin pool on a loop device in the kernel guest,
/// the daemon running there, its exports reached from the host through the forwarded portal.
/// </summary>
[Category("Interop")]
[Category("KernelGuest")]
[NonParallelizable]
public sealed class LvmKernelGuestTests
{
    private const string Vg = "vg-targetd";
    private const string Thin = "vg-targetd/tp";
    private const string A = "iqn.2024-01.org.example:host-a";
    private const string B = "iqn.2024-01.org.example:host-b";

    private Support.KernelGuest _guest = null!;
    private GuestTargetd _targetd = null!;

    private TargetdRpcClient Rpc => _targetd.Rpc;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _guest = await Support.KernelGuest.SharedAsync();
        await _guest.RunOkAsync($"""
            set -e
            truncate -s 1200M /srv/pv-lvm.img
            L=$(losetup -f --show /srv/pv-lvm.img)
            pvcreate -y $L; vgcreate {Vg} $L
            lvcreate -y -L 400M -T {Thin}
            """);
        _targetd = await GuestTargetd.StartAsync(_guest, "lvm", $"block_pools: [{Vg}, {Thin}]");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_targetd is not null)
        {
            await _targetd.KillAsync();
        }

        await _guest.RunAsync($"""
            vgremove -f {Vg}
            for l in $(losetup -j /srv/pv-lvm.img -O NAME -n); do losetup -d $l; done
            rm -f /srv/pv-lvm.img
            """);
    }

    [Test]
    public async Task Pool_list_gives_the_sizes_lvm_reports()
    {
        var vg = (JObject)JObject.Parse(await _guest.RunOkAsync($"vgs --reportformat json --units b --nosuffix -o vg_size,vg_free,vg_uuid {Vg} 2>/dev/null"))["report"]![0]!["vg"]![0]!;
        var tp = await LvAsync("tp");

        var pools = (JArray)await Rpc.ResultAsync("pool_list", new { });

        var plain = pools.Single(p => p.Value<string>("name") == Vg);
        plain.Value<long>("size").Should().Be(vg.Value<long>("vg_size"));
        plain.Value<long>("free_size").Should().Be(vg.Value<long>("vg_free"));
        plain.Value<string>("uuid").Should().Be(vg.Value<string>("vg_uuid"));
        var thin = pools.Single(p => p.Value<string>("name") == Thin);
        long size = tp.Value<long>("lv_size");
        decimal used = decimal.Parse(tp.Value<string>("data_percent")!, CultureInfo.InvariantCulture)
            + decimal.Parse(tp.Value<string>("metadata_percent")!, CultureInfo.InvariantCulture);
        thin.Value<long>("size").Should().Be(size);
        thin.Value<long>("free_size").Should().BeCloseTo((long)(size * (1 - (used / 100))), 1);
        thin.Value<string>("uuid").Should().Be(tp.Value<string>("lv_uuid"));
        thin.Value<string>("type").Should().Be("block");
    }

    [TestCase(Vg, "-wi-a-----", "")]
    [TestCase(Thin, "Vwi-a-tz--", "tp")]
    public async Task Create_list_resize_and_destroy_make_and_change_real_lvs(string pool, string attributes, string poolLv)
    {
        string name = pool == Vg ? "life-plain" : "life-thin";

        await Rpc.ResultAsync("vol_create", new { pool, name, size = 64L << 20 });
        var lv = await LvAsync(name);
        lv.Value<long>("lv_size").Should().Be(64L << 20);
        lv.Value<string>("lv_attr").Should().Be(attributes);
        lv.Value<string>("pool_lv").Should().Be(poolLv);
        var listed = ((JArray)await Rpc.ResultAsync("vol_list", new { pool })).Single(v => v.Value<string>("name") == name);
        listed.Value<string>("uuid").Should().Be(lv.Value<string>("lv_uuid"));
        listed.Value<long>("size").Should().Be(64L << 20);

        await Rpc.ResultAsync("vol_resize", new { pool, name, size = 96L << 20 });
        (await LvAsync(name)).Value<long>("lv_size").Should().Be(96L << 20);

        await Rpc.ResultAsync("vol_destroy", new { pool, name });
        (await _guest.RunAsync($"lvs {Vg}/{name}")).ExitCode.Should().NotBe(0, "the LV is gone");
        ((JArray)await Rpc.ResultAsync("vol_list", new { pool })).Should().NotContain(v => v.Value<string>("name") == name);
    }

    [Test]
    public async Task A_thin_copy_is_a_thin_snapshot_with_the_source_data()
    {
        await Rpc.ResultAsync("vol_create", new { pool = Thin, name = "src-thin", size = 32L << 20 });
        string written = await WritePatternAsync("src-thin");

        await Rpc.ResultAsync("vol_copy", new { pool = Thin, vol_orig = "src-thin", vol_new = "copy-thin" });
        await Rpc.ResultAsync("vol_copy", new { pool = Thin, vol_orig = "src-thin", vol_new = "copy-thin-big", size = 48L << 20 });

        var copy = await LvAsync("copy-thin", "lv_size,lv_attr,pool_lv,origin");
        copy.Value<string>("origin").Should().Be("src-thin", "a thin copy is a snapshot of its source");
        copy.Value<string>("pool_lv").Should().Be("tp");
        copy.Value<string>("lv_attr")![4].Should().Be('a', "the copy is active and can be exported at once");
        (await LvAsync("copy-thin-big")).Value<long>("lv_size").Should().Be(48L << 20);
        (await ChecksumAsync("copy-thin")).Should().Be(written);
        (await ChecksumAsync("copy-thin-big")).Should().Be(written);

        await Rpc.ResultAsync("vol_destroy", new { pool = Thin, name = "src-thin" });
        (await ChecksumAsync("copy-thin")).Should().Be(written, "the snapshot outlives its origin");
        await Rpc.ResultAsync("vol_destroy", new { pool = Thin, name = "copy-thin" });
        await Rpc.ResultAsync("vol_destroy", new { pool = Thin, name = "copy-thin-big" });
    }

    [Test]
    public async Task A_plain_copy_is_a_new_linear_lv_with_the_source_data()
    {
        await Rpc.ResultAsync("vol_create", new { pool = Vg, name = "src-plain", size = 16L << 20 });
        string written = await WritePatternAsync("src-plain");

        await Rpc.ResultAsync("vol_copy", new { pool = Vg, vol_orig = "src-plain", vol_new = "copy-plain", size = 24L << 20 });

        var copy = await LvAsync("copy-plain", "lv_size,lv_attr,origin");
        copy.Value<long>("lv_size").Should().Be(24L << 20);
        copy.Value<string>("lv_attr").Should().StartWith("-wi-a");
        copy.Value<string>("origin").Should().BeEmpty();
        (await ChecksumAsync("copy-plain")).Should().Be(written);
        await Rpc.ResultAsync("vol_destroy", new { pool = Vg, name = "src-plain" });
        await Rpc.ResultAsync("vol_destroy", new { pool = Vg, name = "copy-plain" });
    }

    [Test]
    public async Task Refusals_come_from_real_lvm2_and_change_nothing()
    {
        await Rpc.ResultAsync("vol_create", new { pool = Vg, name = "taken", size = 8L << 20 });
        string before = await _guest.RunOkAsync($"lvs --noheadings -o lv_name,lv_size --units b {Vg}");

        (await Rpc.ErrorAsync("vol_create", new { pool = Vg, name = "taken", size = 8L << 20 })).Code.Should().Be(-50);
        var tooBig = await Rpc.ErrorAsync("vol_create", new { pool = Vg, name = "huge", size = 64L << 30 });
        tooBig.Code.Should().Be(-303);
        tooBig.Message.Should().Contain("insufficient free space", "the message is lvm2's own");
        (await Rpc.ErrorAsync("vol_resize", new { pool = Vg, name = "taken", size = 4L << 20 })).Code.Should().NotBe(0);
        (await Rpc.ErrorAsync("vol_resize", new { pool = Vg, name = "taken", size = 64L << 30 })).Message.Should().Contain("Insufficient free space");
        (await Rpc.ErrorAsync("vol_destroy", new { pool = Vg, name = "nosuch" })).Code.Should().Be(-103);
        (await Rpc.ErrorAsync("vol_create", new { pool = "vg-nosuch", name = "x", size = 8L << 20 })).Code.Should().Be(-110);

        (await _guest.RunOkAsync($"lvs --noheadings -o lv_name,lv_size --units b {Vg}")).Should().Be(before);
        await Rpc.ResultAsync("vol_destroy", new { pool = Vg, name = "taken" });
    }

    [Test]
    public async Task Exports_of_real_lvs_reach_their_initiators_only_with_chap_and_survive_a_restart()
    {
        ExternalTool.Require("qemu-io");
        ExternalTool.Require("iscsi-inq");
        await Rpc.ResultAsync("vol_create", new { pool = Vg, name = "exp1", size = 16L << 20 });
        await Rpc.ResultAsync("vol_create", new { pool = Thin, name = "exp2", size = 16L << 20 });
        await Rpc.ResultAsync("export_create", new { pool = Vg, vol = "exp1", initiator_wwn = A, lun = 3 });

        // What the host writes through our target lands in the LV, and what the guest writes there is read back.
        await ExternalTool.RunOkAsync("qemu-io", "--image-opts", "-c", "write -P 0x5a 0 64k", _targetd.LunDriver(3, A));
        (await _guest.RunOkAsync($"dd if=/dev/{Vg}/exp1 bs=64k count=1 iflag=direct 2>/dev/null | tr -d '\\132' | wc -c")).Trim().Should().Be("0");
        await _guest.RunOkAsync($"head -c 65536 /dev/zero | tr '\\000' '\\063' | dd of=/dev/{Vg}/exp1 bs=64k seek=16 oflag=direct 2>/dev/null");
        await ExternalTool.RunOkAsync("qemu-io", "--image-opts", "-c", "read -P 0x33 1M 64k", _targetd.LunDriver(3, A));
        (await ExternalTool.RunAsync("iscsi-inq", "-i", B, _targetd.LunUrl(3))).ExitCode.Should().NotBe(0, "B has no access to LUN 3");

        // An access group maps the thin LV to B.
        await Rpc.ResultAsync("access_group_create", new { ag_name = "group-b", init_id = B, init_type = "iscsi" });
        await Rpc.ResultAsync("access_group_map_create", new { pool_name = Thin, vol_name = "exp2", ag_name = "group-b", h_lun_id = 4 });
        (await ExternalTool.RunAsync("iscsi-inq", "-i", B, _targetd.LunUrl(4))).ExitCode.Should().Be(0);
        (await ExternalTool.RunAsync("iscsi-inq", "-i", A, _targetd.LunUrl(4))).ExitCode.Should().NotBe(0, "A is not in the group");

        // CHAP for A is enforced.
        await Rpc.ResultAsync("initiator_set_auth", new { initiator_wwn = A, in_user = "alice", in_pass = "alicesecret12", out_user = (string?)null, out_pass = (string?)null });
        (await ExternalTool.RunAsync("iscsi-inq", "-i", A, _targetd.LunUrl(3))).ExitCode.Should().NotBe(0);
        (await ExternalTool.RunAsync("iscsi-inq", "-i", A, _targetd.LunUrl(3, "alice", "alicesecret12"))).ExitCode.Should().Be(0);

        // A volume with an export is not destroyed.
        (await Rpc.ErrorAsync("vol_destroy", new { pool = Vg, name = "exp1" })).Code.Should().Be(-303);
        (await _guest.RunAsync($"lvs {Vg}/exp1")).ExitCode.Should().Be(0);

        // Killed and started again: the same exports, groups, CHAP and data.
        var exports = await Rpc.ResultAsync("export_list", new { });
        var maps = await Rpc.ResultAsync("access_group_map_list", new { });
        await _targetd.KillAsync();
        await _targetd.StartAsync();
        JToken.DeepEquals(await Rpc.ResultAsync("export_list", new { }), exports).Should().BeTrue();
        JToken.DeepEquals(await Rpc.ResultAsync("access_group_map_list", new { }), maps).Should().BeTrue();
        (await ExternalTool.RunAsync("iscsi-inq", "-i", A, _targetd.LunUrl(3))).ExitCode.Should().NotBe(0, "CHAP is still required");
        (await ExternalTool.RunAsync("iscsi-inq", "-i", B, _targetd.LunUrl(4))).ExitCode.Should().Be(0);
        await ExternalTool.RunOkAsync(
            "qemu-io", "--image-opts", "-c", "read -P 0x5a 0 64k", _targetd.LunDriver(3, A) + ",user=alice,password=alicesecret12");

        await Rpc.ResultAsync("access_group_map_destroy", new { pool_name = Thin, vol_name = "exp2", ag_name = "group-b" });
        await Rpc.ResultAsync("access_group_destroy", new { ag_name = "group-b" });
        await Rpc.ResultAsync("export_destroy", new { pool = Vg, vol = "exp1", initiator_wwn = A });
        await Rpc.ResultAsync("initiator_set_auth", new { initiator_wwn = A, in_user = (string?)null, in_pass = (string?)null, out_user = (string?)null, out_pass = (string?)null });
        await Rpc.ResultAsync("vol_destroy", new { pool = Vg, name = "exp1" });
        await Rpc.ResultAsync("vol_destroy", new { pool = Thin, name = "exp2" });
        (await _guest.RunAsync($"lvs {Vg}/exp1")).ExitCode.Should().NotBe(0);
    }

    private async Task<JObject> LvAsync(string name, string fields = "lv_name,lv_uuid,lv_size,lv_attr,pool_lv,data_percent,metadata_percent")
    {
        string json = await _guest.RunOkAsync($"lvs --reportformat json --units b --nosuffix -o {fields} {Vg}/{name} 2>/dev/null");
        return (JObject)JObject.Parse(json)["report"]![0]!["lv"]![0]!;
    }

    /// <summary>Fills the first 4 MiB of an LV with random bytes (in the guest) and returns their checksum.</summary>
    private async Task<string> WritePatternAsync(string name)
    {
        await _guest.RunOkAsync($"dd if=/dev/urandom of=/dev/{Vg}/{name} bs=1M count=4 oflag=direct 2>/dev/null");
        return await ChecksumAsync(name);
    }

    private async Task<string> ChecksumAsync(string name) =>
        (await _guest.RunOkAsync($"dd if=/dev/{Vg}/{name} bs=1M count=4 iflag=direct 2>/dev/null | sha256sum")).Trim();
}
