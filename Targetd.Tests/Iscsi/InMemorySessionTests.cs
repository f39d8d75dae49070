using Microsoft.Extensions.Time.Testing;
using Targetd.Iscsi;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Wire;
using Targetd.Tests.Support;

namespace Targetd.Tests.Iscsi;

/// <summary>
/// Sessions served over in-memory pipes on a manual clock: the login phase, the keepalive and the send watch are
/// driven by advancing the clock, never by waiting for it.
/// </summary>
public sealed class InMemorySessionTests
{
    private static readonly ConnectionTimeouts Lio = ConnectionTimeouts.Default; // 15 s login, ping after 15 s, 30 s to answer

    [Test]
    public async Task A_session_over_pipes_writes_and_reads_back_with_every_buffer_returned()
    {
        var pool = new PoisoningBufferPool();
        var registry = PipeSession.NewRegistry(pool);
        await using (var session = new PipeSession(registry, new FakeTimeProvider(), Lio))
        {
            (await session.Initiator.LoginAsync(LoopbackTarget.TargetName)).Should().Be(0);
            await session.Initiator.ClearUnitAttentionsAsync(0);
            var data = Pattern(256 * 1024, 7);
            (await session.Initiator.ExecuteAsync(0, Cdb.Write10(8, 512), data.Length, read: false, write: data)).Status.Should().Be(ScsiStatus.Good);
            var read = await session.Initiator.ExecuteAsync(0, Cdb.Read10(8, 512), data.Length, read: true);
            read.Status.Should().Be(ScsiStatus.Good);
            read.Data.Should().Equal(data);
            (await session.Initiator.LogoutAsync()).Opcode.Should().Be(IscsiOpcode.LogoutResponse);
            await session.Ended.WaitAsync(TimeSpan.FromSeconds(10));
        }

        pool.Rents.Should().BePositive();
        pool.Outstanding.Should().Be(0, "every header and data buffer went back to the pool");
        pool.Verify().Should().BeEmpty();
    }

    [Test]
    public async Task A_connection_that_does_not_log_in_within_the_login_timeout_is_closed()
    {
        var clock = new FakeTimeProvider();
        await using var session = new PipeSession(PipeSession.NewRegistry(), clock, Lio);
        clock.Advance(TimeSpan.FromSeconds(14));
        session.Ended.IsCompleted.Should().BeFalse();
        clock.Advance(TimeSpan.FromSeconds(2));
        await session.Ended.WaitAsync(TimeSpan.FromSeconds(10));
        (await session.Initiator.IsClosedByTargetAsync()).Should().BeTrue();
    }

    [Test]
    public async Task A_silent_session_is_pinged_after_the_interval_and_closed_after_the_response_timeout()
    {
        var clock = new FakeTimeProvider();
        var registry = PipeSession.NewRegistry();
        await using var session = new PipeSession(registry, clock, Lio);
        (await session.Initiator.LoginAsync(LoopbackTarget.TargetName)).Should().Be(0);
        registry.Sessions.Should().ContainSingle();

        clock.Advance(TimeSpan.FromSeconds(16));
        var ping = await session.Initiator.ReceiveAsync();
        ping.Opcode.Should().Be(IscsiOpcode.NopIn);
        ping.InitiatorTaskTag.Should().Be(BasicHeaderSegment.ReservedTag);

        clock.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(50); // lets a wrong early close show
        session.Ended.IsCompleted.Should().BeFalse("the ping may be answered for 30 s");
        clock.Advance(TimeSpan.FromSeconds(2));
        await session.Ended.WaitAsync(TimeSpan.FromSeconds(10));
        registry.Sessions.Should().BeEmpty();
    }

    [Test]
    public async Task A_session_that_answers_its_pings_stays()
    {
        var clock = new FakeTimeProvider();
        var registry = PipeSession.NewRegistry();
        await using var session = new PipeSession(registry, clock, Lio);
        (await session.Initiator.LoginAsync(LoopbackTarget.TargetName)).Should().Be(0);
        for (int i = 0; i < 5; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(16));
            var ping = await session.Initiator.ReceiveAsync();
            ping.Opcode.Should().Be(IscsiOpcode.NopIn);
            await session.Initiator.AnswerPingAsync(ping);
            (await session.Initiator.NopAsync([1, 2, 3, 4])).Data.Should().Equal(1, 2, 3, 4); // the answer has been read
        }

        (await session.Initiator.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false)).Should().NotBeNull();
        session.Ended.IsCompleted.Should().BeFalse();
        registry.Sessions.Should().ContainSingle();
    }

    [Test]
    public async Task An_initiator_that_stops_reading_is_closed_within_the_keepalive_timeouts_and_its_reserve_and_buffers_released()
    {
        var clock = new FakeTimeProvider();
        var pool = new PoisoningBufferPool();
        var registry = PipeSession.NewRegistry(pool);
        await using var stalled = new PipeSession(registry, clock, Lio, pauseWriterThreshold: 64 * 1024);
        (await stalled.Initiator.LoginAsync(LoopbackTarget.TargetName)).Should().Be(0);
        await stalled.Initiator.ClearUnitAttentionsAsync(0);
        (await stalled.Initiator.ExecuteAsync(0, Cdb.Reserve6(), 0, read: false)).Status.Should().Be(ScsiStatus.Good);

        // Four 1 MiB reads whose Data-In is never read: the target's send waits on the full pipe. How many of them the
        // target has taken in by then depends on how the commands arrived (together or one by one), so at least the first.
        for (int i = 0; i < 4; i++)
        {
            await stalled.Initiator.SendCommandAsync(0, Cdb.Read10((uint)(i * 2048), 2048), 1 << 20, read: true);
        }

        await Eventually.TrueAsync(() => registry.Buffers.InUse >= 1L << 20);
        await Task.Delay(200); // the first read's Data-In goes out and its send starts waiting (and timing) on the pipe
        clock.Advance(TimeSpan.FromSeconds(44));
        await Task.Delay(50);
        stalled.Ended.IsCompleted.Should().BeFalse("a send may wait NopInInterval + NopInResponse = 45 s");
        clock.Advance(TimeSpan.FromSeconds(2));
        await stalled.Ended.WaitAsync(TimeSpan.FromSeconds(10));

        registry.Sessions.Should().BeEmpty();
        registry.Buffers.InUse.Should().Be(0, "the reads' budget is given back");
        pool.Outstanding.Should().Be(0, "no buffer is kept by the closed connection");
        pool.Verify().Should().BeEmpty();

        await using var other = new PipeSession(registry, clock, Lio);
        (await other.Initiator.LoginAsync(LoopbackTarget.TargetName, "iqn.2024-01.net.targetd.test:other")).Should().Be(0);
        await other.Initiator.ClearUnitAttentionsAsync(0);
        (await other.Initiator.ExecuteAsync(0, Cdb.Reserve6(), 0, read: false)).Status.Should().Be(ScsiStatus.Good, "the stalled nexus's RESERVE went with it");
    }

    internal static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)((i * 31) + seed + (i >> 9));
        }

        return data;
    }
}
