using Targetd.Storage.Pools.Rbd;

namespace Targetd.Tests.Storage.Rbd;

/// <summary>The state gateways share for an image, in a RADOS object written with guarded operations.</summary>
public sealed class RbdSharedStateTests
{
    [Test]
    public async Task Only_the_writer_that_read_the_current_sequence_replaces_the_state()
    {
        var rados = new FakeRados();
        using var context = rados.Connect(new RbdPoolOptions("rbd", "/etc/ceph/test.conf", "gw1"));
        var one = new RbdSharedState(context, "1234abcd");
        var two = new RbdSharedState(context, "1234abcd");

        (await one.ReadStateAsync()).Sequence.Should().Be(0);
        (await one.TryWriteStateAsync(0, new byte[] { 1 })).Should().BeTrue();
        (await two.TryWriteStateAsync(0, new byte[] { 2 })).Should().BeFalse();

        var read = await two.ReadStateAsync();
        read.Sequence.Should().Be(1);
        read.Content.ToArray().Should().Equal(1);
        (await two.TryWriteStateAsync(1, new byte[] { 2, 3 })).Should().BeTrue();
        (await one.TryWriteStateAsync(1, new byte[] { 4 })).Should().BeFalse();
        (await one.ReadStateAsync()).Content.ToArray().Should().Equal(2, 3);
        rados.Objects.Keys.Should().Equal("targetd.scsi_state.1234abcd");
    }

    [Test]
    public async Task An_announcement_runs_every_watch_of_the_image_until_its_device_is_disposed()
    {
        var rados = new FakeRados();
        using var context = rados.Connect(new RbdPoolOptions("rbd", "/etc/ceph/test.conf", "gw1"));
        var one = new RbdSharedState(context, "1234abcd");
        var two = new RbdSharedState(context, "1234abcd");
        var other = new RbdSharedState(context, "99990000");
        int seenByOne = 0;
        int seenByOther = 0;
        one.Watch(_ => { seenByOne++; return ValueTask.CompletedTask; });
        other.Watch(_ => { seenByOther++; return ValueTask.CompletedTask; });

        (await two.AnnounceAsync(TimeSpan.FromSeconds(5))).Should().BeTrue();
        seenByOne.Should().Be(1);
        seenByOther.Should().Be(0, "another image's watch");
        rados.Watches.Keys.Should().BeEquivalentTo("targetd.scsi_watch.1234abcd", "targetd.scsi_watch.99990000");

        one.Dispose();
        (await two.AnnounceAsync(TimeSpan.FromSeconds(5))).Should().BeTrue();
        seenByOne.Should().Be(1, "the watch ended with its device");
        FluentActions.Invoking(() => one.Watch(_ => ValueTask.CompletedTask)).Should().Throw<ObjectDisposedException>();
    }

    [Test]
    public async Task An_announcement_that_a_gateway_does_not_answer_in_time_reports_it()
    {
        var rados = new FakeRados();
        using var context = rados.Connect(new RbdPoolOptions("rbd", "/etc/ceph/test.conf", "gw1"));
        var one = new RbdSharedState(context, "1234abcd");
        var stuck = new TaskCompletionSource();
        one.Watch(_ => new ValueTask(stuck.Task));

        (await new RbdSharedState(context, "1234abcd").AnnounceAsync(TimeSpan.FromMilliseconds(50))).Should().BeFalse();
        stuck.SetResult();
    }
}
