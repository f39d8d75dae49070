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
}
