using System.Buffers.Binary;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi;

namespace Targetd.Tests.Iscsi;

public sealed class ScsiAtomicWriteTests
{
    private const int Block = 512;

    [Test]
    public async Task Compare_and_write_writes_when_the_blocks_match()
    {
        var (unit, device) = Unit();
        await device.WriteAsync(4 * Block, Filled(2 * Block, 0x11));

        var result = await RunAsync(unit, Cdb.CompareAndWrite(4, 2), [.. Filled(2 * Block, 0x11), .. Filled(2 * Block, 0x22)]);

        result.Status.Should().Be(ScsiStatus.Good);
        (await ReadAsync(device, 4, 2)).Should().OnlyContain(b => b == 0x22);
    }

    [Test]
    public async Task Compare_and_write_miscompare_reports_the_first_differing_offset_and_writes_nothing()
    {
        var (unit, device) = Unit();
        var medium = Filled(2 * Block, 0x11);
        medium[Block + 7] = 0x99;
        await device.WriteAsync(0, medium);

        var result = await RunAsync(unit, Cdb.CompareAndWrite(0, 2), [.. Filled(2 * Block, 0x11), .. Filled(2 * Block, 0x22)]);

        result.Status.Should().Be(ScsiStatus.CheckCondition);
        var sense = result.Sense!.Value.ToArray();
        sense[0].Should().Be(0xF0, "fixed format with VALID set: INFORMATION holds the offset");
        (sense[2] & 0x0F).Should().Be(0x0E, "MISCOMPARE");
        sense[12].Should().Be(0x1D);
        BinaryPrimitives.ReadUInt32BigEndian(sense.AsSpan(3)).Should().Be(Block + 7);
        (await ReadAsync(device, 0, 2)).Should().Equal(medium);
    }

    [TestCase(1)]
    [TestCase(3)]
    public async Task Compare_and_write_refuses_a_data_out_buffer_that_is_not_twice_the_blocks(int wrongBlocks)
    {
        var (unit, device) = Unit();

        var result = await RunAsync(unit, Cdb.CompareAndWrite(0, (byte)wrongBlocks), Filled(4 * Block, 0x00));

        result.Status.Should().Be(ScsiStatus.CheckCondition);
        result.Sense!.Value.Key.Should().Be(SenseKey.IllegalRequest);
        result.Sense!.Value.FieldPointer.Should().Be(13);
        (await ReadAsync(device, 0, 4)).Should().OnlyContain(b => b == 0);
    }

    [Test]
    public async Task Compare_and_write_of_zero_blocks_succeeds_only_without_data()
    {
        var (unit, device) = Unit();

        var empty = await RunAsync(unit, Cdb.CompareAndWrite(0, 0), []);
        var wrapped = await RunAsync(unit, Cdb.CompareAndWrite(0, 0), Filled(2 * 256 * Block, 0x00));

        empty.Status.Should().Be(ScsiStatus.Good);
        wrapped.Sense!.Value.FieldPointer.Should().Be(13, "256 blocks do not fit the one-byte field");
        (await ReadAsync(device, 0, 1)).Should().OnlyContain(b => b == 0);
    }

    [Test]
    public async Task Compare_and_write_beyond_the_end_and_with_wrprotect_is_refused()
    {
        var (unit, _) = Unit();
        long blocks = unit.BlockCount;

        var beyond = await RunAsync(unit, Cdb.CompareAndWrite((ulong)blocks, 1), Filled(2 * Block, 0));
        var protect = await RunAsync(unit, Cdb.CompareAndWrite(0, 1, flags: 0x20), Filled(2 * Block, 0));

        beyond.Sense!.Value.Asc.Should().Be(0x21, "LOGICAL BLOCK ADDRESS OUT OF RANGE");
        protect.Sense!.Value.Asc.Should().Be(0x24, "INVALID FIELD IN CDB");
        protect.Sense!.Value.FieldPointer.Should().Be(1);
    }

    [Test]
    public async Task Concurrent_compare_and_writes_on_the_same_block_let_exactly_one_succeed()
    {
        var (unit, device) = Unit();
        await device.WriteAsync(0, Filled(Block, 0x00));

        var results = await Task.WhenAll(Enumerable.Range(1, 16).Select(i =>
            Task.Run(async () => await RunAsync(unit, Cdb.CompareAndWrite(0, 1), [.. Filled(Block, 0x00), .. Filled(Block, (byte)i)]))));

        results.Count(r => r.Status == ScsiStatus.Good).Should().Be(1);
        results.Count(r => r.Sense?.Key == SenseKey.Miscompare).Should().Be(15);
    }

    [Test]
    public async Task Orwrite_ors_the_data_into_the_blocks()
    {
        var (unit, device) = Unit();
        await device.WriteAsync(8 * Block, Filled(Block, 0x0F));

        var result = await RunAsync(unit, Transfer16(0x8B, 8, 1), Filled(Block, 0xA0));

        result.Status.Should().Be(ScsiStatus.Good);
        (await ReadAsync(device, 8, 1)).Should().OnlyContain(b => b == 0xAF);
    }

    [Test]
    public async Task Orwrite_of_zero_blocks_does_nothing_and_orprotect_is_refused()
    {
        var (unit, device) = Unit();

        var zero = await RunAsync(unit, Transfer16(0x8B, 0, 0), []);
        var protect = await RunAsync(unit, Transfer16(0x8B, 0, 1, flags: 0x40), Filled(Block, 0xFF));

        zero.Status.Should().Be(ScsiStatus.Good);
        protect.Sense!.Value.Asc.Should().Be(0x24);
        (await ReadAsync(device, 0, 1)).Should().OnlyContain(b => b == 0);
    }

    [Test]
    public async Task Pre_fetch_checks_the_range()
    {
        var (unit, _) = Unit();
        long blocks = unit.BlockCount;

        var inside = await RunAsync(unit, Transfer16(0x90, (ulong)blocks - 1, 1), []);
        var beyond = await RunAsync(unit, Transfer16(0x90, (ulong)blocks, 1), []);
        byte[] prefetch10 = [0x34, 0x02, 0, 0, 0, 0, 3, 0, 1, 0]; // IMMED, GROUP 3, one block at LBA 0

        inside.Status.Should().Be(ScsiStatus.Good);
        beyond.Sense!.Value.Asc.Should().Be(0x21);
        (await RunAsync(unit, prefetch10, [])).Status.Should().Be(ScsiStatus.Good);
    }

    [Test]
    public async Task Read_defect_data_returns_an_empty_list_in_the_format_asked_for()
    {
        var (unit, _) = Unit();
        var ten = new byte[32];
        var twelve = new byte[32];

        var result10 = await unit.ExecuteAsync(new ScsiRequest(new byte[] { 0x37, 0, 0x1D, 0, 0, 0, 0, 0, 32, 0 }, 1, Array.Empty<byte>(), ten), CancellationToken.None);
        var result12 = await unit.ExecuteAsync(new ScsiRequest(new byte[] { 0xB7, 0x05, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0 }, 1, Array.Empty<byte>(), twelve), CancellationToken.None);

        result10.Status.Should().Be(ScsiStatus.Good);
        result10.DataInLength.Should().Be(4);
        ten[..4].Should().Equal(0x00, 0x1D, 0x00, 0x00);
        result12.DataInLength.Should().Be(8);
        twelve[..8].Should().Equal(0x00, 0x05, 0, 0, 0, 0, 0, 0);
    }

    [Test]
    public async Task Block_limits_report_the_maximum_compare_and_write_length()
    {
        var (unit, _) = Unit();
        var data = new byte[64];

        var result = await unit.ExecuteAsync(new ScsiRequest(Cdb.Inquiry(true, 0xB0), 1, Array.Empty<byte>(), data), CancellationToken.None);

        result.Status.Should().Be(ScsiStatus.Good);
        data[5].Should().Be(ScsiLogicalUnit.MaxCompareAndWriteBlocks);
    }

    private static (ScsiLogicalUnit Unit, MemoryBlockDevice Device) Unit()
    {
        var device = new MemoryBlockDevice(1024 * 1024);
        return (new ScsiLogicalUnit(device, "iqn.2024-01.net.targetd.test:disk", 0), device);
    }

    private static async Task<ScsiResult> RunAsync(ScsiLogicalUnit unit, byte[] cdb, byte[] dataOut)
    {
        var cdb16 = new byte[16];
        cdb.CopyTo(cdb16, 0);
        return await unit.ExecuteAsync(new ScsiRequest(cdb16, 1, dataOut, Memory<byte>.Empty), CancellationToken.None);
    }

    private static byte[] Transfer16(byte opcode, ulong lba, uint blocks, byte flags = 0)
    {
        var cdb = new byte[16];
        cdb[0] = opcode;
        cdb[1] = flags;
        BinaryPrimitives.WriteUInt64BigEndian(cdb.AsSpan(2), lba);
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(10), blocks);
        return cdb;
    }

    private static async Task<byte[]> ReadAsync(MemoryBlockDevice device, long lba, int blocks)
    {
        var data = new byte[blocks * Block];
        await device.ReadAsync(lba * Block, data);
        return data;
    }

    private static byte[] Filled(int length, byte value)
    {
        var bytes = new byte[length];
        bytes.AsSpan().Fill(value);
        return bytes;
    }
}
