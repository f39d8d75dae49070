using Targetd.Iscsi.Server;
using Targetd.Iscsi.Wire;
using Targetd.Tests.Support;

namespace Targetd.Tests.Iscsi;

/// <summary>Write data assembled without a socket (RFC 7143 §11.7, §11.8): immediate, unsolicited and solicited bursts.</summary>
public sealed class DataOutAssemblerTests
{
    private const uint Unsolicited = BasicHeaderSegment.ReservedTag;

    [Test]
    public void Immediate_data_then_one_R2T_at_a_time_up_to_MaxBurstLength_and_the_buffer_only_when_data_is_due()
    {
        var pool = new PoisoningBufferPool();
        var parameters = new SessionParameters { InitialR2T = true, MaxBurstLength = 16384, MaxOutstandingR2T = 1 };
        var assembler = new DataOutAssembler(parameters);
        using var task = Write(40960, pool);
        pool.Rents.Should().Be(0, "a command alone takes no buffer");

        var data = InMemorySessionTests.Pattern(40960, 1);
        assembler.Begin(task, data.AsSpan(0, 8192), final: true).Should().Be(DataOutProgress.Solicit);
        pool.Rents.Should().Be(1, "immediate data is due");

        assembler.TrySolicit(task, out var first).Should().BeTrue();
        first.Should().Be(new ReadyToTransfer(first.TargetTransferTag, 0, 8192, 16384));
        assembler.TrySolicit(task, out _).Should().BeFalse("MaxOutstandingR2T is 1");

        Accept(assembler, task, first.TargetTransferTag, 0, 8192, data.AsSpan(8192, 8192), final: false).Should().Be(DataOutVerdict.Accepted);
        DataOutAssembler.Accept(task, first.TargetTransferTag, 1, 16384, true, data.AsSpan(16384, 8192), out var progress).Should().Be(DataOutVerdict.Accepted);
        progress.Should().Be(DataOutProgress.Solicit);

        assembler.TrySolicit(task, out var second).Should().BeTrue();
        second.R2TSN.Should().Be(1);
        second.Offset.Should().Be(24576);
        second.Length.Should().Be(16384);
        second.TargetTransferTag.Should().NotBe(first.TargetTransferTag);
        DataOutAssembler.Accept(task, second.TargetTransferTag, 0, 24576, true, data.AsSpan(24576, 16384), out progress).Should().Be(DataOutVerdict.Accepted);
        progress.Should().Be(DataOutProgress.Complete);
        task.DataOut.ToArray().Should().Equal(data);
        pool.Rents.Should().Be(1);
    }

    [Test]
    public void Unsolicited_Data_Out_up_to_FirstBurstLength_then_R2Ts_for_the_rest()
    {
        var parameters = new SessionParameters { InitialR2T = false, FirstBurstLength = 8192, MaxBurstLength = 65536 };
        var assembler = new DataOutAssembler(parameters);
        using var task = Write(32768);
        var data = InMemorySessionTests.Pattern(32768, 2);

        assembler.Begin(task, data.AsSpan(0, 4096), final: false).Should().Be(DataOutProgress.AwaitingUnsolicited);
        DataOutAssembler.Accept(task, Unsolicited, 0, 4096, true, data.AsSpan(4096, 4096), out var progress).Should().Be(DataOutVerdict.Accepted);
        progress.Should().Be(DataOutProgress.Solicit);
        assembler.TrySolicit(task, out var r2t).Should().BeTrue();
        r2t.Offset.Should().Be(8192);
        r2t.Length.Should().Be(24576);
        DataOutAssembler.Accept(task, r2t.TargetTransferTag, 0, 8192, true, data.AsSpan(8192), out progress).Should().Be(DataOutVerdict.Accepted);
        progress.Should().Be(DataOutProgress.Complete);
        task.DataOut.ToArray().Should().Equal(data);
    }

    [Test]
    public void Data_Out_that_does_not_continue_its_burst_exactly_is_out_of_sequence_and_a_DataSN_gap_is_reported()
    {
        var assembler = new DataOutAssembler(new SessionParameters { MaxBurstLength = 65536 });
        using var task = Write(16384);
        assembler.Begin(task, [], final: true).Should().Be(DataOutProgress.Solicit);
        assembler.TrySolicit(task, out var r2t).Should().BeTrue();
        var chunk = new byte[4096];

        DataOutAssembler.Accept(task, r2t.TargetTransferTag + 1, 0, 0, false, chunk, out _).Should().Be(DataOutVerdict.OutOfSequence, "no such burst");
        DataOutAssembler.Accept(task, r2t.TargetTransferTag, 0, 4096, false, chunk, out _).Should().Be(DataOutVerdict.OutOfSequence, "the burst starts at 0");
        DataOutAssembler.Accept(task, r2t.TargetTransferTag, 0, 0, false, new byte[20000], out _).Should().Be(DataOutVerdict.OutOfSequence, "past the burst");
        DataOutAssembler.Accept(task, Unsolicited, 0, 0, false, chunk, out _).Should().Be(DataOutVerdict.OutOfSequence, "no unsolicited data is expected");
        DataOutAssembler.Accept(task, r2t.TargetTransferTag, 1, 0, false, chunk, out _).Should().Be(DataOutVerdict.DataSequenceGap);
        task.Received.Should().Be(0, "nothing refused was taken");
    }

    [Test]
    public void Data_Out_for_a_task_aborted_meanwhile_is_dropped_and_its_buffer_returned_once()
    {
        var pool = new PoisoningBufferPool();
        var assembler = new DataOutAssembler(new SessionParameters { MaxBurstLength = 65536 });
        var task = Write(8192, pool);
        assembler.Begin(task, [], final: true);
        assembler.TrySolicit(task, out var r2t).Should().BeTrue();
        task.Dispose();

        DataOutAssembler.Accept(task, r2t.TargetTransferTag, 0, 0, true, new byte[8192], out _).Should().Be(DataOutVerdict.Dropped);
        pool.Outstanding.Should().Be(0);
        pool.Verify().Should().BeEmpty("nothing was written into the returned buffer");
    }

    private static IscsiTask Write(int length, IoBufferPool? pool = null) =>
        new(0x10, 0, 0, new byte[16], 1, length, isRead: false, isWrite: true, pool);

    private static DataOutVerdict Accept(DataOutAssembler assembler, IscsiTask task, uint ttt, uint dataSN, uint offset, ReadOnlySpan<byte> data, bool final)
    {
        _ = assembler;
        return DataOutAssembler.Accept(task, ttt, dataSN, offset, final, data, out _);
    }
}
