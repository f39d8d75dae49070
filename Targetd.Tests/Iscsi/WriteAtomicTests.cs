using System.Buffers.Binary;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi;

namespace Targetd.Tests.Iscsi;

public sealed class WriteAtomicTests
{
    private const int Block = 512;

    [Test]
    public async Task Write_atomic_writes_every_block_and_honours_fua()
    {
        var (unit, device) = Unit();
        var data = Enumerable.Range(0, 4 * Block).Select(i => (byte)(i * 13)).ToArray();

        var result = await RunAsync(unit, WriteAtomic(10, 4, flags: 0x08), data);

        result.Status.Should().Be(ScsiStatus.Good);
        result.TransferLength.Should().Be(4 * Block);
        var back = new byte[4 * Block];
        await device.ReadAsync(10 * Block, back);
        back.Should().Equal(data);
    }

    [Test]
    public async Task Write_atomic_of_zero_blocks_is_good_inside_the_medium_and_out_of_range_beyond_it()
    {
        var (unit, _) = Unit();

        (await RunAsync(unit, WriteAtomic(0, 0), [])).Status.Should().Be(ScsiStatus.Good);
        (await RunAsync(unit, WriteAtomic(2049, 0), [])).Sense!.Value.Asc.Should().Be(0x21);
        (await RunAsync(unit, WriteAtomic(ulong.MaxValue, 0), [])).Sense!.Value.Asc.Should().Be(0x21);
    }

    [TestCase(0x20, 0x24, 1, TestName = "WRPROTECT is an invalid field: no protection information")]
    [TestCase(0x00, 0x24, 12, TestName = "More than MAXIMUM ATOMIC TRANSFER LENGTH is an invalid field")]
    [TestCase(0x00, 0x0E, null, TestName = "A data-out buffer shorter than the blocks is refused whole")]
    public async Task Refused_atomic_writes_change_nothing(byte flags, byte asc, int? field)
    {
        var (unit, device) = Unit();
        ushort blocks = field == 12 ? (ushort)(ScsiLogicalUnit.MaxAtomicTransferBytes / Block + 1) : (ushort)8;
        int sent = asc == 0x0E ? 7 * Block : blocks * Block;

        var result = await RunAsync(unit, WriteAtomic(0, blocks, flags), Enumerable.Repeat((byte)0x5A, sent).ToArray());

        result.Status.Should().Be(ScsiStatus.CheckCondition);
        result.Sense!.Value.Asc.Should().Be(asc);
        if (field is { } fieldByte)
        {
            result.Sense!.Value.FieldPointer.Should().Be((ushort)fieldByte);
        }

        device.AllocatedBytes.Should().Be(0, "nothing was written");
    }

    [Test]
    public async Task Concurrent_atomic_writes_to_the_same_blocks_never_interleave()
    {
        var device = new MemoryBlockDevice(1024 * 1024);
        var unit = new ScsiLogicalUnit(new PiecewiseBlockDevice(device), "iqn.2024-01.net.targetd.test:atomic", 0);
        const int blocks = 64;
        var writers = Enumerable.Range(1, 16).Select(async pattern =>
        {
            await Task.Yield();
            var result = await RunAsync(unit, WriteAtomic(0, blocks), Enumerable.Repeat((byte)pattern, blocks * Block).ToArray());
            result.Status.Should().Be(ScsiStatus.Good);
        });

        await Task.WhenAll(writers);

        var back = new byte[blocks * Block];
        await device.ReadAsync(0, back);
        back.Should().OnlyContain(b => b == back[0], "one atomic write's data covers every block");
    }

    [Test]
    public async Task Block_limits_report_the_maximum_atomic_transfer_length_with_no_alignment_or_granularity()
    {
        var (unit, _) = Unit();
        var data = new byte[64];

        await unit.ExecuteAsync(new ScsiRequest(Cdb.Inquiry(true, 0xB0), 1, Array.Empty<byte>(), data), CancellationToken.None);

        BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(44)).Should().Be((uint)(ScsiLogicalUnit.MaxAtomicTransferBytes / Block));
        BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(48)).Should().Be(0);
        BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(52)).Should().Be(0);
    }

    private static (ScsiLogicalUnit Unit, MemoryBlockDevice Device) Unit()
    {
        var device = new MemoryBlockDevice(1024 * 1024);
        return (new ScsiLogicalUnit(device, "iqn.2024-01.net.targetd.test:atomic", 0), device);
    }

    private static async Task<ScsiResult> RunAsync(ScsiLogicalUnit unit, byte[] cdb, byte[] dataOut) =>
        await unit.ExecuteAsync(new ScsiRequest(cdb, 1, dataOut, Memory<byte>.Empty), CancellationToken.None);

    private static byte[] WriteAtomic(ulong lba, ushort blocks, byte flags = 0)
    {
        var cdb = new byte[16];
        cdb[0] = 0x9C;
        cdb[1] = flags;
        BinaryPrimitives.WriteUInt64BigEndian(cdb.AsSpan(2), lba);
        BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(12), blocks);
        return cdb;
    }
}
