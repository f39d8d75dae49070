using Targetd.Storage.Errors;
using Targetd.Storage.Pools.Rbd;

namespace Targetd.Tests.Storage.Rbd;

/// <summary>The RBD pool's volume methods and availability, on a fake of the native calls.</summary>
public sealed class RbdBlockPoolTests
{
    private FakeRados _rados = null!;
    private ManualTime _time = null!;
    private RbdBlockPool _pool = null!;

    [SetUp]
    public void SetUp()
    {
        _rados = new FakeRados();
        _time = new ManualTime();
        _pool = new RbdBlockPool("ceph", new RbdPoolOptions("rbd", "/etc/ceph/test.conf", "gw1"), _rados, null, _time);
    }

    [TearDown]
    public void TearDown() => _pool.Dispose();

    [Test]
    public async Task Create_then_list_reports_the_image_with_its_rbd_id_as_a_stable_uuid()
    {
        await _pool.CreateAsync("disk1", 10_000_000);
        await _pool.CreateAsync("disk0", 1 << 20);

        var first = await _pool.ListAsync();
        var second = await _pool.ListAsync();

        first.Select(v => v.Name).Should().Equal("disk0", "disk1");
        first.Single(v => v.Name == "disk1").Size.Should().Be(10_000_384, "sizes are rounded up to whole 512-byte sectors");
        first.Single(v => v.Name == "disk1").Uuid.Should().Be(_rados.Images["disk1"].Id);
        second.Should().Equal(first);
        _rados.OpenImagesField.Should().Be(0, "listing closes the images it opened for their sizes");
    }

    [Test]
    public async Task List_skips_images_whose_names_are_not_volume_names()
    {
        _rados.AddImage("vm.disk@weird", 4096);
        await _pool.CreateAsync("ok", 4096);

        (await _pool.ListAsync()).Select(v => v.Name).Should().Equal("ok");
    }

    [Test]
    public async Task Create_of_a_taken_name_is_refused_with_minus_50_and_creates_nothing()
    {
        await _pool.CreateAsync("disk1", 4096);
        _rados.Calls.Clear();

        var create = () => _pool.CreateAsync("disk1", 8192);

        (await create.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.VolumeExists);
        _rados.Calls.Should().NotContain("rbd_create");
        _rados.Images["disk1"].Size.Should().Be(4096);
    }

    [TestCase("a/b")]
    [TestCase("")]
    [TestCase("x y")]
    public async Task Illegal_names_are_refused_before_any_cluster_call(string name)
    {
        var create = () => _pool.CreateAsync(name, 4096);
        var destroy = () => _pool.DestroyAsync(name);

        (await create.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.InvalidArgument);
        (await destroy.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.InvalidArgument);
        _rados.Calls.Should().BeEmpty();
    }

    [Test]
    public async Task Create_of_a_non_positive_size_is_refused()
    {
        var create = () => _pool.CreateAsync("disk1", 0);

        (await create.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.InvalidArgument);
        _rados.Images.Should().BeEmpty();
    }

    [Test]
    public async Task Destroy_removes_the_image_and_a_missing_one_is_minus_103()
    {
        await _pool.CreateAsync("disk1", 4096);
        string id = _rados.Images["disk1"].Id;
        _rados.Objects["targetd.scsi_state." + id] = [1];
        _rados.Objects["targetd.scsi_watch." + id] = [];
        _rados.Objects["targetd.scsi_state.other"] = [2];

        await _pool.DestroyAsync("disk1");
        var again = () => _pool.DestroyAsync("disk1");

        _rados.Images.Should().BeEmpty();
        _rados.Objects.Keys.Should().Equal(["targetd.scsi_state.other"], "the image's shared SCSI state goes with it, no other");
        var error = (await again.Should().ThrowAsync<StorageException>()).Which;
        error.Kind.Should().Be(StorageErrorKind.VolumeNotFound);
        error.Message.Should().Be("Volume disk1 not found in pool ceph");
    }

    [Test]
    public async Task Destroy_of_an_image_open_elsewhere_says_it_is_in_use_and_keeps_it()
    {
        await _pool.CreateAsync("disk1", 4096);
        _rados.Failures["rbd_remove"] = RbdException.EBUSY;

        var destroy = () => _pool.DestroyAsync("disk1");

        var error = (await destroy.Should().ThrowAsync<StorageException>()).Which;
        error.Kind.Should().Be(StorageErrorKind.Failed);
        error.Message.Should().Contain("in use by another client");
        _rados.Images.Should().ContainKey("disk1");
    }

    [Test]
    public async Task Copy_is_snapshot_clone_flatten_in_the_cluster_and_leaves_no_snapshot()
    {
        var source = _rados.AddImage("src", 64 * 1024);
        source.Write(4096, Enumerable.Repeat((byte)0xA5, 8192).ToArray());
        _rados.Calls.Clear();

        await _pool.CopyAsync("src", "dst", 128 * 1024);

        _rados.Calls.Where(c => c.StartsWith("rbd_snap", StringComparison.Ordinal) || c is "rbd_clone3" or "rbd_flatten" or "rbd_resize")
            .Should().Equal("rbd_snap_create", "rbd_snap_protect", "rbd_clone3", "rbd_flatten", "rbd_resize", "rbd_snap_unprotect", "rbd_snap_remove");
        _rados.Calls.Should().NotContain(["rbd_aio_read", "rbd_aio_write"], "no data passes through the gateway");
        var copy = _rados.Images["dst"];
        copy.Size.Should().Be(128 * 1024);
        copy.Parent.Should().BeNull("the clone is flattened");
        copy.Data.AsSpan(4096, 8192).ToArray().Should().OnlyContain(b => b == 0xA5);
        source.Snapshots.Should().BeEmpty();
        _rados.OpenImagesField.Should().Be(0);
    }

    [Test]
    public async Task Copy_refusals_change_nothing()
    {
        _rados.AddImage("src", 64 * 1024);
        _rados.AddImage("taken", 4096);

        var missing = () => _pool.CopyAsync("nope", "dst", null);
        var taken = () => _pool.CopyAsync("src", "taken", null);
        var smaller = () => _pool.CopyAsync("src", "dst", 64 * 1024);

        (await missing.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.VolumeNotFound);
        (await taken.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.VolumeExists);
        (await smaller.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.InvalidArgument);
        _rados.Images.Keys.Should().BeEquivalentTo("src", "taken");
        _rados.Calls.Should().NotContain("rbd_snap_create");
    }

    [Test]
    public async Task A_failed_flatten_removes_the_clone_and_the_snapshot()
    {
        var source = _rados.AddImage("src", 64 * 1024);
        _rados.Failures["rbd_flatten"] = 5;

        var copy = () => _pool.CopyAsync("src", "dst", null);

        var error = (await copy.Should().ThrowAsync<StorageException>()).Which;
        error.Kind.Should().Be(StorageErrorKind.Failed);
        error.Message.Should().Contain("rbd_flatten").And.Contain("EIO");
        _rados.Images.Keys.Should().Equal("src");
        source.Snapshots.Should().BeEmpty();
        source.Protected.Should().BeEmpty();
    }

    [Test]
    public async Task Resize_grows_and_refuses_a_size_that_is_not_larger()
    {
        await _pool.CreateAsync("disk1", 8192);

        await _pool.ResizeAsync("disk1", 16_000);
        var shrink = () => _pool.ResizeAsync("disk1", 8192);
        var missing = () => _pool.ResizeAsync("nope", 1 << 20);

        _rados.Images["disk1"].Size.Should().Be(16_384);
        (await shrink.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.InvalidArgument);
        (await missing.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.VolumeNotFound);
        _rados.Images["disk1"].Size.Should().Be(16_384);
    }

    [Test]
    public async Task Pool_info_comes_from_the_cluster_and_names_fsid_and_pool_id()
    {
        var info = await _pool.GetInfoAsync();

        info.Name.Should().Be("ceph");
        info.Size.Should().Be(100L << 30);
        info.FreeSize.Should().Be(70L << 30);
        info.Uuid.Should().Be("6f1b7e2a-0000-4000-8000-00000000cafe-7");
    }

    [Test]
    public async Task Open_gives_a_device_of_the_image_size_and_a_missing_image_is_minus_103()
    {
        await _pool.CreateAsync("disk1", 1 << 20);

        await using var device = await _pool.OpenAsync("disk1");
        var missing = () => _pool.OpenAsync("nope");

        device.Length.Should().Be(1 << 20);
        device.IsThin.Should().BeTrue();
        (await missing.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.VolumeNotFound);
    }

    [Test]
    public async Task Missing_libraries_make_only_this_pool_unavailable_with_errors_that_say_so()
    {
        _rados.ConnectFailure = new DllNotFoundException("librbd.so.1: cannot open shared object file");

        bool connected = await _pool.ConnectAsync();
        var list = () => _pool.ListAsync();
        var info = await _pool.GetInfoAsync();

        connected.Should().BeFalse();
        _pool.IsAvailable.Should().BeFalse();
        var error = (await list.Should().ThrowAsync<StorageException>()).Which;
        error.Kind.Should().Be(StorageErrorKind.PoolUnavailable);
        error.Message.Should().StartWith("RBD pool 'ceph' is unavailable: ").And.Contain("librbd1");
        (info.Size, info.FreeSize).Should().Be((0L, 0L));
    }

    [Test]
    public async Task An_unreachable_cluster_is_retried_on_use_after_the_retry_interval()
    {
        _rados.ConnectFailure = new RbdException("rados_connect", 110);
        (await _pool.ConnectAsync()).Should().BeFalse();

        var soon = () => _pool.ListAsync();
        var error = (await soon.Should().ThrowAsync<StorageException>()).Which;
        error.Message.Should().Contain("client.gw1").And.Contain("/etc/ceph/test.conf").And.Contain("ETIMEDOUT");
        _rados.Connects.Should().Be(1, "no new attempt within the retry interval");

        _rados.ConnectFailure = null;
        _time.Advance(RbdBlockPool.RetryInterval);
        await _pool.CreateAsync("disk1", 4096);

        _rados.Connects.Should().Be(2);
        _pool.IsAvailable.Should().BeTrue();
        (await _pool.ListAsync()).Should().ContainSingle(v => v.Name == "disk1");
    }

    [Test]
    public async Task Dispose_releases_the_connection()
    {
        (await _pool.ConnectAsync()).Should().BeTrue();

        _pool.Dispose();

        _rados.ContextDisposed.Should().BeTrue();
    }
}
