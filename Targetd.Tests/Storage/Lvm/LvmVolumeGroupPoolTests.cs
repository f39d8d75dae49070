using Targetd.Core.BlockDevices;
using Targetd.Core.Processes;
using Targetd.Storage.Errors;
using Targetd.Storage.Pools.Lvm;
using Targetd.Storage.Pools;
using static Targetd.Tests.Storage.Lvm.LvmAssertions;
using static Targetd.Tests.Storage.Lvm.LvmOutputs;

namespace Targetd.Tests.Storage.Lvm;

/// <summary>The pool of a plain volume group (<c>vg0</c>).</summary>
public sealed class LvmVolumeGroupPoolTests
{
    private RecordingProcessRunner _runner = null!;
    private FakeDeviceNodes _dev = null!;
    private LvmBlockPool _pool = null!;

    [SetUp]
    public void SetUp()
    {
        _runner = Runner();
        _dev = new FakeDeviceNodes();
        _pool = new LvmBlockPool("vg0", _runner, _dev.Open);
    }

    [Test]
    public void The_pool_is_a_plain_volume_group()
    {
        _pool.Name.Should().Be("vg0");
        _pool.VolumeGroup.Should().Be("vg0");
        _pool.ThinPool.Should().BeNull();
    }

    [TestCase("")]
    [TestCase("vg0/tp/x")]
    [TestCase("vg0/")]
    [TestCase("/tp")]
    [TestCase("-vg0")]
    [TestCase("vg0/-tp")]
    [TestCase("vg 0")]
    [TestCase("..")]
    [TestCase("vg0/tp;rm")]
    public void A_name_that_is_not_vg_or_vg_slash_thinpool_is_rejected(string name)
    {
        var create = () => new LvmBlockPool(name, new RecordingProcessRunner());

        create.Should().Throw<ArgumentException>();
    }

    [TestCase("vg.data+1")]
    [TestCase("vg_0-a/pool.1")]
    public void Every_character_lvm_allows_in_names_is_accepted(string name) =>
        new LvmBlockPool(name, new RecordingProcessRunner()).Name.Should().Be(name);

    [Test]
    public async Task Info_is_the_volume_groups_size_free_space_and_uuid()
    {
        var info = await _pool.GetInfoAsync();

        info.Should().Be(new BlockPoolInfo("vg0", 21470642176, 5364514816, VgUuid));
        _runner.CommandLines.Should().Equal(VgsLine);
    }

    [Test]
    public async Task Info_of_a_missing_volume_group_is_an_invalid_pool()
    {
        _runner.FailVgNotFound("vgs");

        var error = await Refusal(() => _pool.GetInfoAsync(), StorageErrorKind.PoolNotFound);

        error.Message.Should().Be("Invalid pool (vg0)");
    }

    [Test]
    public async Task Info_when_vgs_fails_otherwise_is_an_unexpected_exit_code_naming_the_command()
    {
        _runner.Fail("vgs", "  /run/lock/lvm/V_vg0:aux: open failed: Permission denied\n");

        var error = await Refusal(() => _pool.GetInfoAsync(), StorageErrorKind.CommandFailed);

        error.Message.Should().Be(
            "Unexpected exit code \"['vgs', '--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', 'vg_name,vg_uuid,vg_size,vg_free', 'vg0']\" 5, "
            + "out= /run/lock/lvm/V_vg0:aux: open failed: Permission denied");
    }

    [Test]
    public async Task Volumes_are_the_plain_lvs_only()
    {
        var volumes = await _pool.ListAsync();

        volumes.Should().Equal(
            new BlockVolume("lv1", 1073741824, Lv1Uuid),
            new BlockVolume("lv2", 4194304, Lv2Uuid));
        _runner.CommandLines.Should().Equal(LvsLine);
    }

    [Test]
    public async Task An_empty_volume_group_has_no_volumes()
    {
        _runner.WhenStartsWith(["lvs"], ProcessResult.Success("""
              {
                  "report": [
                      {
                          "lv": [
                          ]
                      }
                  ]
              }

            """));

        (await _pool.ListAsync()).Should().BeEmpty();
    }

    [Test]
    public async Task Listing_a_missing_volume_group_is_an_invalid_pool()
    {
        _runner.FailVgNotFound("lvs");

        await Refusal(() => _pool.ListAsync(), StorageErrorKind.PoolNotFound);
    }

    [Test]
    public async Task Output_that_is_not_a_report_is_an_error_naming_the_command()
    {
        _runner.WhenStartsWith(["lvs"], ProcessResult.Success("  WARNING: something odd\n"));

        var error = await Refusal(() => _pool.ListAsync(), StorageErrorKind.Failed);

        error.Message.Should().StartWith("Unexpected output of \"['lvs', ");
    }

    [Test]
    public async Task Create_makes_a_linear_lv_of_the_size_in_bytes()
    {
        await _pool.CreateAsync("new", 1073741824);

        _runner.CommandLines.Should().Equal(LvsLine, "lvcreate --yes --type linear --name new --size 1073741824b vg0");
    }

    [Test]
    public async Task Create_rounds_the_size_up_to_whole_sectors_as_lvm_takes_no_other_byte_counts()
    {
        await _pool.CreateAsync("new", 1000000001);

        _runner.CommandLines[^1].Should().Be("lvcreate --yes --type linear --name new --size 1000000512b vg0");
    }

    [TestCase("lv1")]
    [TestCase("tp")]
    [TestCase("thin1")]
    public async Task Create_refuses_any_name_an_lv_of_the_volume_group_has(string name)
    {
        var error = await Refusal(() => _pool.CreateAsync(name, 4096), StorageErrorKind.VolumeExists);

        error.Message.Should().Be("Volume with that name exists");
        _runner.CommandLines.Should().Equal(LvsLine);
    }

    [TestCase("")]
    [TestCase("a b")]
    [TestCase("../lv1")]
    [TestCase("vg1/lv")]
    [TestCase("lv.1")]
    public async Task Illegal_names_are_refused_before_any_command(string name)
    {
        var error = await Refusal(() => _pool.CreateAsync(name, 4096), StorageErrorKind.InvalidArgument);
        await Refusal(() => _pool.DestroyAsync(name), StorageErrorKind.InvalidArgument);
        await Refusal(() => _pool.ResizeAsync(name, 4096), StorageErrorKind.InvalidArgument);
        await Refusal(() => _pool.CopyAsync(name, "copy", null), StorageErrorKind.InvalidArgument);
        await Refusal(() => _pool.CopyAsync("lv1", name, null), StorageErrorKind.InvalidArgument);
        await Refusal(() => _pool.OpenAsync(name), StorageErrorKind.InvalidArgument);

        error.Message.Should().Be("Illegal name, should match: ^[a-zA-Z0-9_-]+$");
        _runner.CommandLines.Should().BeEmpty();
    }

    [TestCase(0)]
    [TestCase(-4096)]
    public async Task Create_refuses_a_size_that_is_not_positive_before_any_command(long size)
    {
        await Refusal(() => _pool.CreateAsync("new", size), StorageErrorKind.InvalidArgument);

        _runner.CommandLines.Should().BeEmpty();
    }

    [Test]
    public async Task Create_on_a_missing_volume_group_is_an_invalid_pool_and_creates_nothing()
    {
        _runner.FailVgNotFound("lvs");

        await Refusal(() => _pool.CreateAsync("new", 4096), StorageErrorKind.PoolNotFound);

        _runner.CommandLines.Should().Equal(LvsLine);
    }

    [Test]
    public async Task A_failed_lvcreate_is_an_unexpected_exit_code_naming_the_command()
    {
        _runner.Fail("lvcreate", "  Volume group \"vg0\" has insufficient free space (1279 extents): 2560 required.\n");

        var error = await Refusal(() => _pool.CreateAsync("new", 10737418240), StorageErrorKind.CommandFailed);

        error.Message.Should().Be(
            "Unexpected exit code \"['lvcreate', '--yes', '--type', 'linear', '--name', 'new', '--size', '10737418240b', 'vg0']\" 5, "
            + "out= Volume group \"vg0\" has insufficient free space (1279 extents): 2560 required.");
        _runner.CommandLines.Should().HaveCount(2);
    }

    [Test]
    public async Task Destroy_removes_the_lv()
    {
        await _pool.DestroyAsync("lv1");

        _runner.CommandLines.Should().Equal(LvsLine, "lvremove --yes vg0/lv1");
    }

    [TestCase("nope")]
    [TestCase("tp")]
    [TestCase("thin1")]
    public async Task Destroy_of_a_name_that_is_not_a_volume_of_the_pool_is_not_found(string name)
    {
        var error = await Refusal(() => _pool.DestroyAsync(name), StorageErrorKind.VolumeNotFound);

        error.Message.Should().Be($"Volume {name} not found in pool vg0");
        _runner.CommandLines.Should().Equal(LvsLine);
    }

    [Test]
    public async Task Destroy_of_an_lv_in_use_is_an_unexpected_exit_code()
    {
        _runner.Fail("lvremove", "  Logical volume vg0/lv1 in use.\n");

        var error = await Refusal(() => _pool.DestroyAsync("lv1"), StorageErrorKind.CommandFailed);

        error.Message.Should().Contain("'lvremove', '--yes', 'vg0/lv1'").And.EndWith("out= Logical volume vg0/lv1 in use.");
        _runner.CommandLines.Should().Equal(LvsLine, "lvremove --yes vg0/lv1");
    }

    [Test]
    public async Task Resize_extends_the_lv()
    {
        await _pool.ResizeAsync("lv1", 2147483648);

        _runner.CommandLines.Should().Equal(LvsLine, "lvextend --size 2147483648b vg0/lv1");
    }

    [TestCase(1073741824)]
    [TestCase(4096)]
    public async Task Resize_to_a_size_that_is_not_larger_is_refused(long size)
    {
        var error = await Refusal(() => _pool.ResizeAsync("lv1", size), StorageErrorKind.InvalidArgument);

        error.Message.Should().Be($"Size {size} need a larger than size in original volume lv1 in pool vg0");
        _runner.CommandLines.Should().Equal(LvsLine);
    }

    [Test]
    public async Task Resize_of_a_missing_volume_is_not_found()
    {
        await Refusal(() => _pool.ResizeAsync("nope", 1L << 40), StorageErrorKind.VolumeNotFound);

        _runner.CommandLines.Should().Equal(LvsLine);
    }

    [Test]
    public async Task A_failed_lvextend_is_an_unexpected_exit_code()
    {
        _runner.Fail("lvextend", "  Insufficient free space: 256 extents needed, but only 0 available\n");

        await Refusal(() => _pool.ResizeAsync("lv1", 2147483648), StorageErrorKind.CommandFailed);

        _runner.CommandLines.Should().Equal(LvsLine, "lvextend --size 2147483648b vg0/lv1");
    }

    [Test]
    public async Task Open_opens_the_device_node_of_an_active_lv_read_write()
    {
        _dev.Add("/dev/vg0/lv1", 1 << 20);

        await using var device = await _pool.OpenAsync("lv1");

        device.Length.Should().Be(1 << 20);
        _dev.Opens.Should().Equal(("/dev/vg0/lv1", false));
        _runner.CommandLines.Should().Equal(LvsLine);
    }

    [Test]
    public async Task Open_activates_an_inactive_lv_first()
    {
        _dev.Add("/dev/vg0/lv2", 4194304);

        await using var device = await _pool.OpenAsync("lv2");

        _runner.CommandLines.Should().Equal(LvsLine, "lvchange --activate y --ignoreactivationskip vg0/lv2");
        _dev.Opens.Should().Equal(("/dev/vg0/lv2", false));
    }

    [Test]
    public async Task Open_opens_nothing_when_activation_fails()
    {
        _runner.Fail("lvchange", "  device-mapper: reload ioctl on (253:3) failed: Invalid argument\n");

        await Refusal(() => _pool.OpenAsync("lv2"), StorageErrorKind.CommandFailed);

        _dev.Opens.Should().BeEmpty();
    }

    [TestCase("nope")]
    [TestCase("thin1")]
    public async Task Open_of_a_name_that_is_not_a_volume_of_the_pool_is_not_found(string name)
    {
        await Refusal(() => _pool.OpenAsync(name), StorageErrorKind.VolumeNotFound);

        _dev.Opens.Should().BeEmpty();
        _runner.CommandLines.Should().Equal(LvsLine);
    }

    [Test]
    public async Task Copy_creates_a_linear_lv_of_the_sources_size_and_copies_every_block()
    {
        var source = _dev.Add("/dev/vg0/lv1", 3 * BlockDeviceCopy.ChunkSize + 4096);
        var destination = _dev.Add("/dev/vg0/copy", 3 * BlockDeviceCopy.ChunkSize + 4096);
        byte[] data = Pattern((int)source.Length);
        await source.WriteAsync(0, data);
        await destination.WriteAsync(0, Enumerable.Repeat((byte)0xEE, (int)destination.Length).ToArray());
        await source.WriteZeroesAsync(BlockDeviceCopy.ChunkSize, BlockDeviceCopy.ChunkSize);
        Array.Clear(data, BlockDeviceCopy.ChunkSize, BlockDeviceCopy.ChunkSize);

        await _pool.CopyAsync("lv1", "copy", null);

        _runner.CommandLines.Should().Equal(LvsLine, "lvcreate --yes --type linear --name copy --size 1073741824b vg0");
        _dev.Opens.Should().Equal(("/dev/vg0/lv1", true), ("/dev/vg0/copy", false));
        _dev.Handed.Should().OnlyContain(d => d.Disposed);
        (await ReadAll(destination)).Should().Equal(data);
    }

    [Test]
    public async Task Copy_to_a_larger_size_creates_the_lv_of_that_size_and_activates_an_inactive_source()
    {
        var source = _dev.Add("/dev/vg0/lv2", 4194304);
        var destination = _dev.Add("/dev/vg0/copy", 8388608);
        byte[] data = Pattern(4194304);
        await source.WriteAsync(0, data);

        await _pool.CopyAsync("lv2", "copy", 8388608);

        _runner.CommandLines.Should().Equal(
            LvsLine,
            "lvchange --activate y --ignoreactivationskip vg0/lv2",
            "lvcreate --yes --type linear --name copy --size 8388608b vg0");
        (await ReadAll(destination)).Take(4194304).Should().Equal(data);
    }

    [Test]
    public async Task Copy_refusals_follow_targetds_order_and_run_nothing_but_the_listing()
    {
        (await Refusal(() => _pool.CopyAsync("nope", "lv1", 1L << 40), StorageErrorKind.VolumeNotFound))
            .Message.Should().Be("Volume nope not found in pool vg0");
        (await Refusal(() => _pool.CopyAsync("thin1", "copy", null), StorageErrorKind.VolumeNotFound))
            .Message.Should().Be("Volume thin1 not found in pool vg0");
        (await Refusal(() => _pool.CopyAsync("lv1", "lv2", 1073741824), StorageErrorKind.InvalidArgument))
            .Message.Should().Be("Size 1073741824 need a larger than size in original volume lv1 in pool vg0");
        (await Refusal(() => _pool.CopyAsync("lv1", "tp", null), StorageErrorKind.VolumeExists))
            .Message.Should().Be("Volume with that name exists");
        await Refusal(() => _pool.CopyAsync("lv1", "lv1", null), StorageErrorKind.VolumeExists);

        _runner.CommandLines.Should().Equal(Enumerable.Repeat(LvsLine, 5));
        _dev.Opens.Should().BeEmpty();
    }

    [Test]
    public async Task A_failed_lvcreate_stops_the_copy_before_any_device_is_opened()
    {
        _runner.Fail("lvcreate", "  Volume group \"vg0\" has insufficient free space (1279 extents): 2048 required.\n");

        await Refusal(() => _pool.CopyAsync("lv1", "copy", 8589934592), StorageErrorKind.CommandFailed);

        _runner.CommandLines.Should().Equal(LvsLine, "lvcreate --yes --type linear --name copy --size 8589934592b vg0");
        _dev.Opens.Should().BeEmpty();
    }

    [Test]
    public async Task A_copy_that_cannot_open_its_devices_removes_the_new_lv()
    {
        _dev.Add("/dev/vg0/lv1", 4096);

        var error = await Refusal(() => _pool.CopyAsync("lv1", "copy", null), StorageErrorKind.Failed);

        error.Message.Should().StartWith("Failed to copy volume lv1 to copy, nested error: Could not find file '/dev/vg0/copy'.");
        _runner.CommandLines.Should().Equal(
            LvsLine,
            "lvcreate --yes --type linear --name copy --size 1073741824b vg0",
            "lvremove --yes vg0/copy");
        _dev.Handed.Should().OnlyContain(d => d.Disposed);
    }

    [Test]
    public async Task A_cancelled_copy_removes_the_new_lv()
    {
        _dev.Add("/dev/vg0/lv1", 4 * BlockDeviceCopy.ChunkSize);
        _dev.Add("/dev/vg0/copy", 4 * BlockDeviceCopy.ChunkSize);
        using var cancel = new CancellationTokenSource();
        _runner.When(c => c.FileName == "lvcreate", _ =>
        {
            cancel.Cancel();
            return ProcessResult.Success();
        });

        await _pool.Invoking(p => p.CopyAsync("lv1", "copy", null, cancel.Token)).Should().ThrowAsync<OperationCanceledException>();

        _runner.CommandLines[^1].Should().Be("lvremove --yes vg0/copy");
    }

    internal static byte[] Pattern(int length)
    {
        byte[] data = new byte[length];
        new Random(42).NextBytes(data);
        return data;
    }

    private static async Task<byte[]> ReadAll(MemoryBlockDevice device)
    {
        byte[] data = new byte[device.Length];
        await device.ReadAsync(0, data);
        return data;
    }
}
