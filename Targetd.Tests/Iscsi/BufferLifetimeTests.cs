using System.Buffers.Binary;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;
using Targetd.Tests.Support;

namespace Targetd.Tests.Iscsi;

/// <summary>
/// A buffer goes back to the pool only when nothing can touch it any more: the target runs on a pool that poisons what
/// is given back and reports any change to it, while tasks are aborted under their Data-Out, a session is reinstated
/// during a large Data-In, and a LUN is reset under load.
/// </summary>
[NonParallelizable]
public sealed class BufferLifetimeTests
{
    private const int BlockSize = 512;

    [Test]
    public async Task Abort_task_racing_its_Data_Out_never_writes_into_a_returned_buffer()
    {
        var pool = new PoisoningBufferPool();
        await using var target = await LoopbackTarget.StartAsync(pool: pool);
        await using var initiator = await target.LoginAsync();
        await initiator.ClearUnitAttentionsAsync(0);
        int segment = int.Parse(initiator.Negotiated.GetValueOrDefault("MaxRecvDataSegmentLength", "8192"), System.Globalization.CultureInfo.InvariantCulture);
        var data = InMemorySessionTests.Pattern(1 << 20, 3);

        for (int round = 0; round < 20; round++)
        {
            // A 1 MiB WRITE without immediate data; the target asks for its first burst.
            uint itt = (uint)(0x9000 + round);
            var command = initiator.CommandHeader(itt, ScsiCommandFlags.Write, Cdb.Write10(0, (ushort)(data.Length / BlockSize)), data.Length);
            await initiator.SendAsync(command, []);
            var solicited = await initiator.ReceiveAsync();
            solicited.Opcode.Should().Be(IscsiOpcode.ReadyToTransfer);
            var r2t = solicited.AsReadyToTransfer();
            uint ttt = r2t.TargetTransferTag;
            int burst = (int)r2t.DesiredDataTransferLength;

            // Half the burst, then ABORT TASK, then the rest of the burst at once: the abort runs beside the Data-Out copies.
            int pdus = burst / segment;
            for (int i = 0; i < pdus; i++)
            {
                if (i == pdus / 2)
                {
                    var abort = new byte[BasicHeaderSegment.Size];
                    _ = new TaskManagementRequestPduWriter(abort)
                    {
                        IsImmediate = true,
                        Function = TaskManagementFunction.AbortTask,
                        InitiatorTaskTag = (uint)(0xA000 + round),
                        ReferencedTaskTag = itt,
                        CmdSN = initiator.TakeCmdSN(),
                        RefCmdSN = BinaryPrimitives.ReadUInt32BigEndian(command.AsSpan(24)),
                    };
                    await initiator.SendAsync(abort, []);
                }

                var dataOut = new byte[BasicHeaderSegment.Size];
                _ = new DataOutPduWriter(dataOut)
                {
                    IsFinal = i == pdus - 1,
                    InitiatorTaskTag = itt,
                    TargetTransferTag = ttt,
                    DataSN = (uint)i,
                    BufferOffset = (uint)(i * segment),
                };
                await initiator.SendAsync(dataOut, data.AsSpan(i * segment, segment).ToArray());
            }

            // The abort's response and a NOP round trip, in either order (the abort runs beside the read loop), with Rejects
            // for Data-Out that came after the abort: then everything sent is handled.
            var reply = await initiator.NopAsync([9, 9, 9, 9]);
            bool aborted = false;
            bool echoed = false;
            while (true)
            {
                aborted |= reply.Opcode == IscsiOpcode.TaskManagementResponse;
                echoed |= reply.Opcode == IscsiOpcode.NopIn;
                reply.Opcode.Should().BeOneOf(IscsiOpcode.TaskManagementResponse, IscsiOpcode.NopIn, IscsiOpcode.Reject, IscsiOpcode.ReadyToTransfer);
                if (aborted && echoed)
                {
                    break;
                }

                reply = await initiator.ReceiveAsync();
            }
        }

        target.Registry.Buffers.InUse.Should().Be(0, "every aborted task gave its budget back: none is left registered");
        (await initiator.LogoutAsync()).Opcode.Should().Be(IscsiOpcode.LogoutResponse);
        await target.WaitForNoSessionsAsync();
        pool.Verify().Should().BeEmpty();
        pool.Outstanding.Should().Be(0);
    }

    [Test]
    public async Task Session_reinstatement_during_a_large_Data_In_never_sends_a_returned_buffer()
    {
        var pool = new PoisoningBufferPool();
        await using var target = await LoopbackTarget.StartAsync(size: 32 << 20, pool: pool);
        var data = InMemorySessionTests.Pattern(8 << 20, 5);
        await target.Device.WriteAsync(0, data);

        // The first session reads 8 MiB and does not take the data: the target's send waits on a full socket.
        await using var first = await TestInitiator.ConnectAsync(target.EndPoint, receiveBufferSize: 4096);
        (await first.LoginAsync(LoopbackTarget.TargetName)).Should().Be(0);
        await first.SendCommandAsync(0, Cdb.Read10(0, (ushort)(data.Length / BlockSize)), data.Length, read: true);
        await Eventually.TrueAsync(() => target.Registry.Buffers.InUse == data.Length);
        await Task.Delay(200);

        // The same initiator and ISID log in again: the first session is reinstated (ended) while its send is under way.
        await using var second = await TestInitiator.ConnectAsync(target.EndPoint);
        (await second.LoginAsync(LoopbackTarget.TargetName)).Should().Be(0);
        await second.ClearUnitAttentionsAsync(0);
        var read = await second.ExecuteAsync(0, Cdb.Read10(0, 2048), 1 << 20, read: true);
        read.Status.Should().Be(ScsiStatus.Good);
        read.Data.Should().Equal(data[..(1 << 20)]);

        // Whatever the first connection still got holds no poison.
        var received = await first.ReadToEndAsync();
        IndexOfPoison(received).Should().Be(-1, "a buffer given back must not be sent");
        (await second.LogoutAsync()).Opcode.Should().Be(IscsiOpcode.LogoutResponse);
        await target.WaitForNoSessionsAsync();
        target.Registry.Buffers.InUse.Should().Be(0);
        pool.Verify().Should().BeEmpty();
        pool.Outstanding.Should().Be(0);
    }

    [Test]
    public async Task A_logical_unit_reset_under_load_returns_every_buffer_once_and_leaves_the_session_healthy()
    {
        var pool = new PoisoningBufferPool();
        await using var target = await LoopbackTarget.StartAsync(size: 32 << 20, pool: pool);
        var data = InMemorySessionTests.Pattern(16 << 20, 11);
        await target.Device.WriteAsync(0, data);
        await using var initiator = await target.LoginAsync();
        await initiator.ClearUnitAttentionsAsync(0);

        for (int round = 0; round < 10; round++)
        {
            for (int i = 0; i < 8; i++)
            {
                await initiator.SendCommandAsync(0, Cdb.Read10((uint)(i * 2048), 2048), 1 << 20, read: true);
            }

            var reset = new byte[BasicHeaderSegment.Size];
            _ = new TaskManagementRequestPduWriter(reset)
            {
                IsImmediate = true,
                Function = TaskManagementFunction.LogicalUnitReset,
                InitiatorTaskTag = (uint)(0xB000 + round),
                ReferencedTaskTag = BasicHeaderSegment.ReservedTag,
                CmdSN = initiator.TakeCmdSN(),
            };
            await initiator.SendAsync(reset, []);

            // Data-In and responses of reads that finished first, then the reset's response: no poison in any of it.
            ReceivedPdu pdu;
            do
            {
                pdu = await initiator.ReceiveAsync();
                IndexOfPoison(pdu.Data).Should().Be(-1);
            }
            while (pdu.Opcode != IscsiOpcode.TaskManagementResponse);

            pdu.AsTaskManagementResponse().Response.Should().Be(TaskManagementResponse.FunctionComplete);
            await initiator.ClearUnitAttentionsAsync(0);
        }

        var read = await initiator.ExecuteAsync(0, Cdb.Read10(0, 2048), 1 << 20, read: true);
        read.Data.Should().Equal(data[..(1 << 20)], "the session is healthy after the resets");
        await Eventually.TrueAsync(() => target.Registry.Buffers.InUse == 0); // the last read's share is given back once its response has left
        target.Registry.Buffers.InUse.Should().Be(0, "no task is left registered");
        (await initiator.LogoutAsync()).Opcode.Should().Be(IscsiOpcode.LogoutResponse);
        await target.WaitForNoSessionsAsync();
        pool.Verify().Should().BeEmpty();
        pool.Outstanding.Should().Be(0);
    }

    /// <summary>Where 64 poisoned bytes in a row start, or -1.</summary>
    private static int IndexOfPoison(byte[] bytes)
    {
        var run = new byte[64];
        run.AsSpan().Fill(PoisoningBufferPool.Poison);
        return bytes.AsSpan().IndexOf(run);
    }
}
