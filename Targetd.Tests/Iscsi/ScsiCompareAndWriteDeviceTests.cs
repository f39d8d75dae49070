using System.Buffers.Binary;
using Targetd.Iscsi.Scsi;

namespace Targetd.Tests.Iscsi;

/// <summary>
/// COMPARE AND WRITE (SBC-3 §5.2) on a medium that compares and writes itself (an ICompareAndWriteDevice, an RBD
/// image): the unit hands it the verify and write instances instead of reading, comparing and writing.
/// </summary>
public sealed class ScsiCompareAndWriteDeviceTests
{
    private const int Block = 512;
    private const byte Fua = 0x08;

    [Test]
    public async Task The_device_compares_and_writes_and_the_unit_neither_reads_nor_writes()
    {
        var device = Device();
        await device.WriteAsync(4 * Block, Filled(2 * Block, 0x11));
        device.Calls.Clear();

        var result = await RunAsync(Unit(device), Cdb.CompareAndWrite(4, 2), [.. Filled(2 * Block, 0x11), .. Filled(2 * Block, 0x22)]);

        result.Status.Should().Be(ScsiStatus.Good);
        device.Calls.Should().Equal($"compare-and-write {4 * Block} {2 * Block} {2 * Block}");
        (await ReadAsync(device, 4, 2)).Should().OnlyContain(b => b == 0x22);
    }

    [Test]
    public async Task A_mismatch_the_device_reports_is_a_miscompare_at_that_offset_within_the_command_and_is_not_flushed()
    {
        var device = Device();
        var medium = Filled(2 * Block, 0x11);
        medium[Block + 7] = 0x99;
        await device.WriteAsync(100 * Block, medium);
        device.Calls.Clear();

        var result = await RunAsync(Unit(device), Cdb.CompareAndWrite(100, 2, Fua), [.. Filled(2 * Block, 0x11), .. Filled(2 * Block, 0x22)]);

        result.Status.Should().Be(ScsiStatus.CheckCondition);
        var sense = result.Sense!.Value.ToArray();
        sense[0].Should().Be(0xF0, "fixed format with VALID set: INFORMATION holds the offset");
        (sense[2] & 0x0F).Should().Be(0x0E, "MISCOMPARE");
        sense[12].Should().Be(0x1D, "MISCOMPARE DURING VERIFY OPERATION");
        BinaryPrimitives.ReadUInt32BigEndian(sense.AsSpan(3)).Should().Be(Block + 7, "the offset counts from the first byte of the command's blocks");
        device.Calls.Should().Equal($"compare-and-write {100 * Block} {2 * Block} {2 * Block}");
        (await ReadAsync(device, 100, 2)).Should().Equal(medium);
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task Fua_flushes_after_the_write_whichever_path_wrote(bool deviceTakesTheRange)
    {
        var device = new CompareAndWriteFakeDevice((_, _) => deviceTakesTheRange);

        var result = await RunAsync(Unit(device), Cdb.CompareAndWrite(3, 1, Fua), Filled(2 * Block, 0x00));

        result.Status.Should().Be(ScsiStatus.Good);
        device.Calls.Should().Equal(deviceTakesTheRange
            ? [$"compare-and-write {3 * Block} {Block} {Block}", "flush"]
            : [$"read {3 * Block}", $"write {3 * Block}", "flush"]);
    }

    [Test]
    public async Task A_range_the_device_refuses_is_read_compared_and_written_by_the_unit()
    {
        // As librbd of Ceph 16: one 512-byte sector at most.
        var device = new CompareAndWriteFakeDevice((_, length) => length <= Block);
        await device.WriteAsync(8 * Block, Filled(3 * Block, 0x33));
        device.Calls.Clear();
        var unit = Unit(device);

        var matches = await RunAsync(unit, Cdb.CompareAndWrite(8, 3), [.. Filled(3 * Block, 0x33), .. Filled(3 * Block, 0x44)]);
        var differs = await RunAsync(unit, Cdb.CompareAndWrite(8, 3), [.. Filled(2 * Block, 0x44), .. Filled(Block, 0x55), .. Filled(3 * Block, 0x66)]);

        matches.Status.Should().Be(ScsiStatus.Good);
        differs.Sense!.Value.Key.Should().Be(SenseKey.Miscompare);
        BinaryPrimitives.ReadUInt32BigEndian(differs.Sense!.Value.ToArray().AsSpan(3)).Should().Be(2 * Block);
        device.Calls.Should().Equal($"read {8 * Block}", $"write {8 * Block}", $"read {8 * Block}");
        (await ReadAsync(device, 8, 3)).Should().OnlyContain(b => b == 0x44);
    }

    [Test]
    public async Task A_read_only_device_is_not_asked_to_compare_and_write()
    {
        var device = new CompareAndWriteFakeDevice((_, _) => true) { IsReadOnly = true };

        var result = await RunAsync(Unit(device), Cdb.CompareAndWrite(0, 1), Filled(2 * Block, 0x00));

        result.Sense!.Value.Key.Should().Be(SenseKey.DataProtect);
        device.Calls.Should().BeEmpty();
    }

    [TestCase(512, 1)]
    [TestCase(4096, 8)]
    [TestCase(1 << 20, 255)]
    [TestCase(0, 255)]
    public async Task Block_limits_report_as_many_blocks_as_the_device_compares_and_writes_itself(int deviceLength, int reportedBlocks)
    {
        var device = new CompareAndWriteFakeDevice((_, length) => length <= deviceLength) { CompareAndWriteLength = deviceLength };
        var data = new byte[64];

        var result = await Unit(device).ExecuteAsync(new ScsiRequest(Cdb.Inquiry(true, 0xB0), 1, Array.Empty<byte>(), data), CancellationToken.None);

        result.Status.Should().Be(ScsiStatus.Good);
        data[5].Should().Be((byte)reportedBlocks, "MAXIMUM COMPARE AND WRITE LENGTH");
    }

    [Test]
    public async Task More_blocks_than_the_device_compares_and_writes_itself_are_an_invalid_field_and_change_nothing()
    {
        var device = new CompareAndWriteFakeDevice((_, length) => length <= Block) { CompareAndWriteLength = Block };
        await device.WriteAsync(4 * Block, Filled(2 * Block, 0x11));
        device.Calls.Clear();

        var result = await RunAsync(Unit(device), Cdb.CompareAndWrite(4, 2), [.. Filled(2 * Block, 0x11), .. Filled(2 * Block, 0x22)]);

        result.Status.Should().Be(ScsiStatus.CheckCondition);
        result.Sense!.Value.Key.Should().Be(SenseKey.IllegalRequest);
        result.Sense!.Value.Asc.Should().Be(0x24, "INVALID FIELD IN CDB: NUMBER OF LOGICAL BLOCKS exceeds the reported maximum");
        device.Calls.Should().BeEmpty();
        (await ReadAsync(device, 4, 2)).Should().OnlyContain(b => b == 0x11);
    }

    private static CompareAndWriteFakeDevice Device() => new((_, _) => true);

    private static ScsiLogicalUnit Unit(CompareAndWriteFakeDevice device) => new(device, "iqn.2024-01.net.targetd.test:disk", 0);

    private static async Task<ScsiResult> RunAsync(ScsiLogicalUnit unit, byte[] cdb, byte[] dataOut) =>
        await unit.ExecuteAsync(new ScsiRequest(cdb, 1, dataOut, Memory<byte>.Empty), CancellationToken.None);

    private static async Task<byte[]> ReadAsync(CompareAndWriteFakeDevice device, long lba, int blocks)
    {
        var data = new byte[blocks * Block];
        await device.ReadAsync(lba * Block, data);
        return data;
    }

    private static byte[] Filled(int length, byte value) => Enumerable.Repeat(value, length).ToArray();
}
