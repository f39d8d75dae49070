using Targetd.Iscsi;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Wire;

namespace Targetd.Tests.Iscsi;

/// <summary>The login timeout and the NOP-In keepalive (RFC 7143 §11.19) that find an initiator gone silent.</summary>
public sealed class KeepAliveTests
{
    private static readonly ConnectionTimeouts Short = new(TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2));

    [TestCase(false)]
    [TestCase(true)]
    public async Task An_idle_session_is_pinged_and_stays_while_it_answers(bool digests)
    {
        await using var target = await LoopbackTarget.StartAsync(timeouts: Short);
        await using var initiator = await TestInitiator.ConnectAsync(target.EndPoint);
        IReadOnlyList<KeyValuePair<string, string>> operational = digests
            ? [new("HeaderDigest", "CRC32C"), new("DataDigest", "CRC32C"), new("ImmediateData", "Yes")]
            : [new("ImmediateData", "Yes")];
        (await initiator.LoginAsync(LoopbackTarget.TargetName, operational: operational)).Should().Be(0);
        initiator.HeaderDigest.Should().Be(digests, "the pings below are checked against the digests negotiated");

        var pings = new List<ReceivedPdu>();
        for (int i = 0; i < 4; i++)
        {
            var ping = await initiator.ReceiveAsync();
            ping.Opcode.Should().Be(IscsiOpcode.NopIn);
            ping.InitiatorTaskTag.Should().Be(BasicHeaderSegment.ReservedTag, "a target-initiated NOP-In carries the reserved tag");
            ping.AsNopIn().TargetTransferTag.Should().NotBe(BasicHeaderSegment.ReservedTag, "a valid Target Transfer Tag asks for an answer");
            ping.Data.Should().BeEmpty();
            pings.Add(ping);
            await initiator.AnswerPingAsync(ping);
        }

        pings.Select(p => p.AsNopIn().TargetTransferTag).Should().OnlyHaveUniqueItems();
        pings.Select(p => p.StatSN).Distinct().Should().ContainSingle("a ping does not advance StatSN");
        var echo = await initiator.NopAsync([1, 2, 3, 4]);
        echo.StatSN.Should().Be(pings[0].StatSN, "the next status-bearing PDU takes the StatSN the pings carried");
        (await initiator.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false)).Status.Should().Be(ScsiStatus.Good);
        target.Registry.Sessions.Should().ContainSingle();
    }

    [Test]
    public async Task A_session_that_stops_answering_is_closed_and_its_reserve_released()
    {
        await using var target = await LoopbackTarget.StartAsync(timeouts: Short);
        await using (var silent = await target.LoginAsync())
        {
            (await silent.ExecuteAsync(0, Cdb.Reserve6(), 0, read: false)).Status.Should().Be(ScsiStatus.Good);

            (await silent.IsClosedByTargetAsync()).Should().BeTrue("pings went unanswered");
        }

        await target.WaitForNoSessionsAsync();
        await using var other = await TestInitiator.ConnectAsync(target.EndPoint);
        (await other.LoginAsync(LoopbackTarget.TargetName, "iqn.2024-01.net.targetd.test:other")).Should().Be(0);
        await other.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false); // the unit attention of the nexus loss, if any
        (await other.ExecuteAsync(0, Cdb.Reserve6(), 0, read: false)).Status.Should().Be(ScsiStatus.Good, "the silent nexus's reservation went with it");
    }

    [Test]
    public async Task A_session_that_stops_reading_is_closed_within_the_keepalive_timeouts_and_its_reserve_released()
    {
        await using var target = await LoopbackTarget.StartAsync(timeouts: Short);
        var reader = await target.LoginAsync();
        (await reader.ExecuteAsync(0, Cdb.Reserve6(), 0, read: false)).Status.Should().Be(ScsiStatus.Good);

        // 1 MiB READs whose data is never read: the target's sends stop once the socket buffers are full, while the
        // initiator's own sends keep arriving until the target stops reading them in turn.
        var flood = Task.Run(async () =>
        {
            try
            {
                for (int i = 0; i < 96; i++)
                {
                    await reader.SendCommandAsync(0, Cdb.Read10((uint)(i % 8) * 2048, 2048), 1 << 20, read: true);
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
            {
                // The target closed the connection.
            }
        });

        await target.WaitForNoSessionsAsync();
        await reader.DisposeAsync();
        (await Task.WhenAny(flood, Task.Delay(TimeSpan.FromSeconds(5)))).Should().Be(flood, "the closed connection ends the flood");
        await using var other = await TestInitiator.ConnectAsync(target.EndPoint);
        (await other.LoginAsync(LoopbackTarget.TargetName, "iqn.2024-01.net.targetd.test:other")).Should().Be(0);
        await other.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false); // the unit attention of the nexus loss, if any
        (await other.ExecuteAsync(0, Cdb.Reserve6(), 0, read: false)).Status.Should().Be(ScsiStatus.Good, "the stalled nexus's reservation went with it");
    }

    [Test]
    public async Task A_connection_that_never_logs_in_is_closed()
    {
        await using var target = await LoopbackTarget.StartAsync(timeouts: Short with { Login = TimeSpan.FromMilliseconds(300) });
        await using var quiet = await TestInitiator.ConnectAsync(target.EndPoint);
        await using var halfPdu = await TestInitiator.ConnectAsync(target.EndPoint);
        await halfPdu.SendRawAsync([0x43, 0x87, 0, 0, 0, 0, 0, 0x40]);

        (await quiet.IsClosedByTargetAsync()).Should().BeTrue();
        (await halfPdu.IsClosedByTargetAsync()).Should().BeTrue();
        await target.WaitForNoSessionsAsync();
    }

    [Test]
    public async Task With_the_checks_off_a_silent_connection_stays()
    {
        await using var target = await LoopbackTarget.StartAsync(timeouts: ConnectionTimeouts.None);
        await using var initiator = await target.LoginAsync();
        initiator.Timeout = TimeSpan.FromSeconds(1);

        (await initiator.IsClosedByTargetAsync()).Should().BeFalse("nothing is sent and nothing is closed");
        (await initiator.ExecuteAsync(0, Cdb.TestUnitReady(), 0, read: false)).Status.Should().Be(ScsiStatus.Good);
    }

    [Test]
    public void The_portal_defaults_are_lio_s()
    {
        var portal = new IscsiPortal(new Targetd.Iscsi.Targets.IscsiTargetRegistry(), new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));

        portal.Timeouts.Should().Be(new ConnectionTimeouts(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30)));
    }
}
