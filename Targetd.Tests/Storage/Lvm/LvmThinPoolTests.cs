using Targetd.Core.Processes;
using Targetd.Storage.Errors;
using Targetd.Storage.Pools.Lvm;
using Targetd.Storage.Pools;
using static Targetd.Tests.Storage.Lvm.LvmAssertions;
using static Targetd.Tests.Storage.Lvm.LvmOutputs;

namespace Targetd.Tests.Storage.Lvm;

/// <summary>The pool of a thin pool (<c>vg0/tp</c>).</summary>
public sealed class LvmThinPoolTests
{
    private const string SnapshotLine = "lvcreate --yes --snapshot --setactivationskip n --activate y --name copy --thinpool tp vg0/thin1";

    private RecordingProcessRunner _runner = null!;
    private FakeDeviceNodes _dev = null!;
    private LvmBlockPool _pool = null!;

    [SetUp]
    public void SetUp()
    {
        _runner = Runner();
        _dev = new FakeDeviceNodes();
        _pool = new LvmBlockPool("vg0/tp", _runner, _dev.Open);
    }

    [Test]
    public void The_pool_is_a_thin_pool_of_a_volume_group()
    {
        _pool.Name.Should().Be("vg0/tp");
        _pool.VolumeGroup.Should().Be("vg0");
        _pool.ThinPool.Should().Be("tp");
    }

    [Test]
    public async Task Info_is_the_thin_pools_size_and_uuid_with_data_and_metadata_usage_taken_off_the_free_size()
    {
        var info = await _pool.GetInfoAsync();

        // 10737418240 × (1 − (12.34 + 4.61) / 100) = 8917425848.32
        info.Should().Be(new BlockPoolInfo("vg0/tp", 10737418240, 8917425848, ThinPoolUuid));
        _runner.CommandLines.Should().Equal(LvsLine);
    }

    [Test]
    public async Task An_inactive_thin_pool_reports_no_usage_so_all_of_it_is_free()
    {
        var info = await new LvmBlockPool("vg0/tp2", _runner).GetInfoAsync();

        info.Should().Be(new BlockPoolInfo("vg0/tp2", 4294967296, 4294967296, "Yb2Nw9-fK4s-Ea7R-o1Vq-Lc5T-mH8d-Xp3GuJ"));
    }

    [TestCase("0.00", "0.00", 1073741824)]
    [TestCase("100.00", "0.00", 0)]
    [TestCase("99.50", "1.20", 0)]
    [TestCase("50.00", "0.01", 536763537)] // 1073741824 × 0.4999 = 536763537.82
    public void Free_size_is_the_size_less_data_and_metadata_percent_of_it_within_zero_and_the_size(string data, string metadata, long free)
    {
        var pool = new LvmLogicalVolume("tp", "u", 1073741824, "twi-aotz--", "", decimal.Parse(data, System.Globalization.CultureInfo.InvariantCulture), decimal.Parse(metadata, System.Globalization.CultureInfo.InvariantCulture));

        LvmBlockPool.ThinPoolFreeSize(pool).Should().Be(free);
    }

    [TestCase("vg0/nope")]
    [TestCase("vg0/lv1")]
    [TestCase("vg0/thin1")]
    public async Task A_thin_pool_that_is_missing_or_not_a_thin_pool_is_an_invalid_pool(string name)
    {
        var pool = new LvmBlockPool(name, _runner);

        (await Refusal(() => pool.GetInfoAsync(), StorageErrorKind.PoolNotFound)).Message.Should().Be($"Invalid pool ({name})");
        await Refusal(() => pool.ListAsync(), StorageErrorKind.PoolNotFound);
        await Refusal(() => pool.CreateAsync("new", 4096), StorageErrorKind.PoolNotFound);
        await Refusal(() => pool.DestroyAsync("thin1"), StorageErrorKind.PoolNotFound);
        await Refusal(() => pool.CopyAsync("thin1", "copy", null), StorageErrorKind.PoolNotFound);

        _runner.CommandLines.Should().Equal(Enumerable.Repeat(LvsLine, 5));
    }

    [Test]
    public async Task A_thin_pool_in_a_missing_volume_group_is_an_invalid_pool()
    {
        _runner.FailVgNotFound("lvs");

        await Refusal(() => _pool.GetInfoAsync(), StorageErrorKind.PoolNotFound);
        await Refusal(() => _pool.ListAsync(), StorageErrorKind.PoolNotFound);
    }

    [Test]
    public async Task Volumes_are_the_thin_lvs_of_this_pool_only()
    {
        var volumes = await _pool.ListAsync();

        volumes.Should().Equal(
            new BlockVolume("snap1", 2147483648, Snap1Uuid),
            new BlockVolume("thin1", 2147483648, Thin1Uuid));
    }

    [Test]
    public async Task Create_makes_a_thin_lv_in_the_pool()
    {
        await _pool.CreateAsync("new", 1073741824);

        _runner.CommandLines.Should().Equal(LvsLine, "lvcreate --yes --type thin --name new --virtualsize 1073741824b --thinpool tp vg0");
    }

    [TestCase("thin1")]
    [TestCase("lv1")]
    [TestCase("other")]
    [TestCase("tp2")]
    public async Task Create_refuses_any_name_an_lv_of_the_volume_group_has(string name)
    {
        await Refusal(() => _pool.CreateAsync(name, 4096), StorageErrorKind.VolumeExists);

        _runner.CommandLines.Should().Equal(LvsLine);
    }

    [Test]
    public async Task A_failed_thin_lvcreate_is_an_unexpected_exit_code_with_no_fallback_to_a_linear_lv()
    {
        _runner.Fail("lvcreate", "  WARNING: Thin pool vg0/tp is out of data space.\n  Cannot create new thin volume, free space in thin pool vg0/tp reached threshold.\n");

        await Refusal(() => _pool.CreateAsync("new", 4096), StorageErrorKind.CommandFailed);

        _runner.CommandLines.Should().Equal(LvsLine, "lvcreate --yes --type thin --name new --virtualsize 4096b --thinpool tp vg0");
    }

    [Test]
    public async Task Destroy_removes_a_thin_lv_of_the_pool()
    {
        await _pool.DestroyAsync("snap1");

        _runner.CommandLines.Should().Equal(LvsLine, "lvremove --yes vg0/snap1");
    }

    [TestCase("lv1")]
    [TestCase("other")]
    [TestCase("tp")]
    public async Task Destroy_of_an_lv_outside_the_pool_is_not_found(string name)
    {
        (await Refusal(() => _pool.DestroyAsync(name), StorageErrorKind.VolumeNotFound))
            .Message.Should().Be($"Volume {name} not found in pool vg0/tp");

        _runner.CommandLines.Should().Equal(LvsLine);
    }

    [Test]
    public async Task Resize_extends_the_thin_lv()
    {
        await _pool.ResizeAsync("thin1", 3221225472);

        _runner.CommandLines.Should().Equal(LvsLine, "lvextend --size 3221225472b vg0/thin1");
    }

    [Test]
    public async Task Resize_to_the_same_size_is_refused()
    {
        (await Refusal(() => _pool.ResizeAsync("thin1", 2147483648), StorageErrorKind.InvalidArgument))
            .Message.Should().Be("Size 2147483648 need a larger than size in original volume thin1 in pool vg0/tp");
    }

    [Test]
    public async Task Copy_is_an_activated_thin_snapshot_without_the_activation_skip_flag()
    {
        await _pool.CopyAsync("thin1", "copy", null);

        _runner.CommandLines.Should().Equal(LvsLine, SnapshotLine);
        _dev.Opens.Should().BeEmpty();
    }

    [Test]
    public async Task Copy_to_a_larger_size_extends_the_snapshot()
    {
        await _pool.CopyAsync("thin1", "copy", 4294967296);

        _runner.CommandLines.Should().Equal(LvsLine, SnapshotLine, "lvextend --size 4294967296b vg0/copy");
    }

    [Test]
    public async Task A_failed_snapshot_stops_the_copy()
    {
        _runner.Fail("lvcreate", "  WARNING: Thin pool vg0/tp is out of data space.\n  Cannot create new thin volume, free space in thin pool vg0/tp reached threshold.\n");

        var error = await Refusal(() => _pool.CopyAsync("thin1", "copy", 4294967296), StorageErrorKind.CommandFailed);

        error.Message.Should().Contain("'--thinpool', 'tp', 'vg0/thin1'");
        _runner.CommandLines.Should().Equal(LvsLine, SnapshotLine);
    }

    [Test]
    public async Task A_failed_extension_removes_the_snapshot_and_reports_the_extension()
    {
        // lvm2 extends a thin LV even on a full pool; it fails when the LV went away in between.
        _runner.Fail("lvextend", "  Logical volume copy not found in volume group vg0.\n");

        var error = await Refusal(() => _pool.CopyAsync("thin1", "copy", 4294967296), StorageErrorKind.CommandFailed);

        error.Message.Should().Contain("'lvextend', '--size', '4294967296b', 'vg0/copy'");
        _runner.CommandLines.Should().Equal(LvsLine, SnapshotLine, "lvextend --size 4294967296b vg0/copy", "lvremove --yes vg0/copy");
    }

    [Test]
    public async Task Copy_refusals_run_nothing_but_the_listing()
    {
        await Refusal(() => _pool.CopyAsync("lv1", "copy", null), StorageErrorKind.VolumeNotFound);
        await Refusal(() => _pool.CopyAsync("other", "copy", null), StorageErrorKind.VolumeNotFound);
        await Refusal(() => _pool.CopyAsync("thin1", "copy", 2147483648), StorageErrorKind.InvalidArgument);
        await Refusal(() => _pool.CopyAsync("thin1", "snap1", null), StorageErrorKind.VolumeExists);
        await Refusal(() => _pool.CopyAsync("thin1", "lv1", null), StorageErrorKind.VolumeExists);

        _runner.CommandLines.Should().Equal(Enumerable.Repeat(LvsLine, 5));
    }

    [Test]
    public async Task Open_activates_a_skipped_thin_snapshot_before_opening_it()
    {
        _dev.Add("/dev/vg0/snap1", 1 << 20);

        await using var device = await _pool.OpenAsync("snap1");

        _runner.CommandLines.Should().Equal(LvsLine, "lvchange --activate y --ignoreactivationskip vg0/snap1");
        _dev.Opens.Should().Equal(("/dev/vg0/snap1", false));
    }
}
