using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Metrics;
using Targetd.Iscsi.Scsi;
using Targetd.Tests.Iscsi;
using Targetd.Tests.Support;

namespace Targetd.Tests.Operations;

[NonParallelizable]
public sealed class LunMetricsTests
{
    private static readonly string Target = "iqn.2024-01.net.targetd.test:metrics-" + Guid.NewGuid().ToString("N")[..8];

    private static async Task<ScsiResult> RunAsync(ScsiLogicalUnit unit, byte[] cdb, int dataIn = 0, byte[]? dataOut = null)
    {
        var cdb16 = new byte[16];
        cdb.CopyTo(cdb16, 0);
        return await unit.ExecuteAsync(new ScsiRequest(cdb16, 1, dataOut ?? [], new byte[dataIn]), CancellationToken.None);
    }

    [Test]
    public async Task Reads_writes_and_other_commands_are_counted_with_their_bytes_and_latency()
    {
        using var recorded = new RecordedMeasurements(IscsiMetrics.MeterName);
        var unit = new ScsiLogicalUnit(new MemoryBlockDevice(1 << 20), Target, 3, "serial-a");
        await RunAsync(unit, Cdb.TestUnitReady());
        await RunAsync(unit, Cdb.Write10(0, 2), dataOut: new byte[1024]);
        await RunAsync(unit, Cdb.Read10(0, 4), dataIn: 2048);
        await RunAsync(unit, Cdb.Read10(8, 1), dataIn: 512);

        var unitTags = new[] { ("target", Target), ("lun", "3"), ("serial", "serial-a") };
        recorded.Of("scsi.command.duration", [.. unitTags, ("kind", "read")]).Should().HaveCount(2).And.OnlyContain(s => s >= 0 && s < 10);
        recorded.Of("scsi.command.duration", [.. unitTags, ("kind", "write")]).Should().HaveCount(1);
        recorded.Of("scsi.command.duration", [.. unitTags, ("kind", "other")]).Should().HaveCount(1);
        recorded.Of("scsi.bytes", [.. unitTags, ("direction", "read")]).Sum().Should().Be(2048 + 512);
        recorded.Of("scsi.bytes", [.. unitTags, ("direction", "write")]).Sum().Should().Be(1024);
    }

    [Test]
    public async Task Errors_are_counted_by_status_and_sense_key()
    {
        using var recorded = new RecordedMeasurements(IscsiMetrics.MeterName);
        var unit = new ScsiLogicalUnit(new MemoryBlockDevice(1 << 20, isReadOnly: true), Target, 4, "serial-b");
        var protectedWrite = await RunAsync(unit, Cdb.Write10(0, 1), dataOut: new byte[512]);
        var outOfRange = await RunAsync(unit, Cdb.Read10(1 << 20, 1), dataIn: 512);
        var good = await RunAsync(unit, Cdb.TestUnitReady());

        protectedWrite.Status.Should().Be(ScsiStatus.CheckCondition);
        outOfRange.Status.Should().Be(ScsiStatus.CheckCondition);
        good.Status.Should().Be(ScsiStatus.Good);
        var unitTags = new[] { ("target", Target), ("lun", "4"), ("status", "check_condition") };
        recorded.Of("scsi.errors", [.. unitTags, ("sense_key", "data_protect")]).Should().Equal(1);
        recorded.Of("scsi.errors", [.. unitTags, ("sense_key", "illegal_request")]).Should().Equal(1);
        recorded.Of("scsi.errors", ("target", Target), ("lun", "4")).Should().HaveCount(2, "a GOOD command is no error");
        recorded.Of("scsi.bytes", ("target", Target), ("lun", "4")).Should().BeEmpty("a failed read moves no data");
    }

    [Test]
    public async Task Refused_logins_are_counted_by_target_and_reason_without_a_label_per_unknown_name()
    {
        using var recorded = new RecordedMeasurements(IscsiMetrics.MeterName);
        await using var target = await LoopbackTarget.StartAsync();
        target.Target.AllowInitiator("iqn.2024-01.org.example:allowed");

        foreach (var (name, initiator) in new[] { (LoopbackTarget.TargetName, "iqn.2024-01.org.example:stranger"), ("iqn.2024-01.org.example:nothing-" + Guid.NewGuid().ToString("N"), "iqn.2024-01.org.example:allowed") })
        {
            await using var client = await TestInitiator.ConnectAsync(target.EndPoint);
            (await client.LoginAsync(name, initiator)).Should().NotBe(0);
        }

        recorded.Of("logins.refused", ("target", LoopbackTarget.TargetName), ("reason", "authorization_failure")).Should().Equal(1);
        recorded.Of("logins.refused", ("target", "unknown"), ("reason", "not_found")).Should().Equal(1);
    }
}
