using System.Buffers.Binary;
using System.Text;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi;

namespace Targetd.Tests.Iscsi;

public sealed class ScsiLogicalUnitTests
{
    private const ulong Nexus = 1;

    private static async Task<(ScsiResult Result, byte[] Data)> RunAsync(ScsiLogicalUnit unit, byte[] cdb, int dataIn = 0, byte[]? dataOut = null, ulong nexus = Nexus)
    {
        var buffer = new byte[dataIn];
        var cdb16 = new byte[16];
        cdb.CopyTo(cdb16, 0);
        var result = await unit.ExecuteAsync(new ScsiRequest(cdb16, nexus, dataOut ?? [], buffer), CancellationToken.None);
        return (result, buffer[..result.DataInLength]);
    }

    private static ScsiLogicalUnit Unit(long size = 1024 * 1024, bool readOnly = false) =>
        new(new MemoryBlockDevice(size, isReadOnly: readOnly), "iqn.2024-01.net.targetd.test:disk", 0);

    [Test]
    public async Task Standard_inquiry_describes_a_disk_with_command_queueing_and_third_party_copy()
    {
        var (result, data) = await RunAsync(Unit(), Cdb.Inquiry(), 255);

        result.Status.Should().Be(ScsiStatus.Good);
        data.Should().HaveCount(96);
        data[0].Should().Be(0x00);
        data[2].Should().Be(0x06);
        data[3].Should().Be(0x12);
        data[4].Should().Be(91);
        data[5].Should().Be(0x18, "3PC: the unit offers EXTENDED COPY; TPGS 01b, implicit ALUA; no protection information");
        data[7].Should().Be(0x02);
        Encoding.ASCII.GetString(data, 8, 8).Should().Be("TARGETD ");
        BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(62)).Should().Be(0x0460, "SPC-4 is claimed");
    }

    [Test]
    public async Task Inquiry_is_cut_at_the_allocation_length()
    {
        var (result, data) = await RunAsync(Unit(), Cdb.Inquiry(allocation: 5), 255);

        data.Should().HaveCount(5);
        result.TransferLength.Should().Be(5);
    }

    [Test]
    public async Task Vpd_pages_list_serial_and_a_stable_naa_designator()
    {
        var unit = Unit();
        var twin = Unit();
        var other = new ScsiLogicalUnit(new MemoryBlockDevice(4096), "iqn.2024-01.net.targetd.test:disk", 1);

        var (_, pages) = await RunAsync(unit, Cdb.Inquiry(true, 0x00), 255);
        var (_, serial) = await RunAsync(unit, Cdb.Inquiry(true, 0x80), 255);
        var (_, ids) = await RunAsync(unit, Cdb.Inquiry(true, 0x83), 255);

        pages[4..].Should().Equal(0x00, 0x80, 0x83, 0x8F, 0xB0, 0xB1, 0xB2);
        Encoding.ASCII.GetString(serial, 4, serial.Length - 4).Should().Be(unit.Serial);
        ids[4].Should().Be(0x01);
        ids[5].Should().Be(0x03);
        ids[7].Should().Be(16);
        (ids[8] >> 4).Should().Be(6, "NAA 6, IEEE Registered Extended");
        ids.AsSpan(8, 16).ToArray().Should().Equal(unit.Identity.Naa.ToArray());
        twin.Identity.NaaHex.Should().Be(unit.Identity.NaaHex);
        twin.Serial.Should().Be(unit.Serial);
        other.Identity.NaaHex.Should().NotBe(unit.Identity.NaaHex);
        other.Serial.Should().NotBe(unit.Serial);
    }

    [Test]
    public async Task Block_limits_and_provisioning_pages_report_the_limits()
    {
        var unit = Unit();

        var (_, limits) = await RunAsync(unit, Cdb.Inquiry(true, 0xB0), 255);
        var (_, provisioning) = await RunAsync(unit, Cdb.Inquiry(true, 0xB2), 255);
        var (unknown, _) = await RunAsync(unit, Cdb.Inquiry(true, 0x99), 255);

        limits.Should().HaveCount(64);
        BinaryPrimitives.ReadUInt32BigEndian(limits.AsSpan(8)).Should().Be((uint)(ScsiLogicalUnit.MaxTransferBytes / 512));
        BinaryPrimitives.ReadUInt32BigEndian(limits.AsSpan(24)).Should().Be(ScsiLogicalUnit.MaxUnmapDescriptors);
        provisioning[5].Should().Be(0xE4, "LBPU, LBPWS, LBPWS10 and LBPRZ on a thin device");
        unknown.Sense!.Value.Asc.Should().Be(0x24);
        unknown.Sense.Value.FieldPointer.Should().Be(2);
    }

    [Test]
    public async Task Read_capacity_reports_the_last_lba_and_block_size()
    {
        var unit = Unit(2 * 1024 * 1024);

        var (_, ten) = await RunAsync(unit, [0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], 8);
        var (_, sixteen) = await RunAsync(unit, Cdb.ReadCapacity16(), 32);

        ten.Should().Equal(0, 0, 0x0F, 0xFF, 0, 0, 0x02, 0x00);
        BinaryPrimitives.ReadUInt64BigEndian(sixteen).Should().Be(4095);
        BinaryPrimitives.ReadUInt32BigEndian(sixteen.AsSpan(8)).Should().Be(512);
        sixteen[14].Should().Be(0xC0, "LBPME and LBPRZ");
    }

    [Test]
    public async Task Write_then_read_round_trips_with_fua()
    {
        var unit = Unit();
        var data = Enumerable.Range(0, 1024).Select(i => (byte)i).ToArray();

        var (write, _) = await RunAsync(unit, Cdb.Write10(10, 2, flags: 0x08), dataOut: data);
        var (read, back) = await RunAsync(unit, Cdb.Read16(10, 2), 1024);

        write.Status.Should().Be(ScsiStatus.Good);
        write.TransferLength.Should().Be(1024);
        read.Status.Should().Be(ScsiStatus.Good);
        back.Should().Equal(data);
    }

    [Test]
    public async Task Read6_transfer_length_zero_means_256_blocks()
    {
        var (result, data) = await RunAsync(Unit(), [0x08, 0, 0, 0, 0, 0], 256 * 512);

        result.Status.Should().Be(ScsiStatus.Good);
        data.Should().HaveCount(256 * 512);
    }

    [TestCase(2047u, (ushort)2, true)]
    [TestCase(2047u, (ushort)1, false)]
    [TestCase(2048u, (ushort)0, false)]
    [TestCase(2049u, (ushort)0, true)]
    public async Task Transfers_past_the_end_are_lba_out_of_range(uint lba, ushort blocks, bool outOfRange)
    {
        var (result, _) = await RunAsync(Unit(), Cdb.Read10(lba, blocks), blocks * 512);

        if (outOfRange)
        {
            result.Sense.Should().Be(Sense.LbaOutOfRange());
            result.Sense!.Value.ToArray().Should().Equal(0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x21, 0, 0, 0, 0, 0);
        }
        else
        {
            result.Status.Should().Be(ScsiStatus.Good);
        }
    }

    [Test]
    public async Task Invalid_field_in_cdb_points_at_the_byte_and_bit()
    {
        var (result, _) = await RunAsync(Unit(), Cdb.Read10(0, 1, flags: 0x20), 512);

        result.Sense!.Value.ToArray().Should().Equal(0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0, 0, 0xCF, 0, 1);
    }

    [Test]
    public async Task Unknown_opcode_is_an_invalid_command_operation_code()
    {
        var (result, _) = await RunAsync(Unit(), [0xC5, 0, 0, 0, 0, 0]);

        result.Status.Should().Be(ScsiStatus.CheckCondition);
        result.Sense!.Value.Asc.Should().Be(0x20);
    }

    [Test]
    public async Task Writes_to_a_read_only_device_are_write_protected()
    {
        var unit = Unit(readOnly: true);

        var (result, _) = await RunAsync(unit, Cdb.Write10(0, 1), dataOut: new byte[512]);
        var (_, mode) = await RunAsync(unit, Cdb.ModeSense6(0x3F), 255);

        result.Sense.Should().Be(Sense.WriteProtected());
        result.Sense!.Value.ToArray()[2].Should().Be(0x07);
        (mode[2] & 0x80).Should().Be(0x80, "WP is set in the mode parameter header");
    }

    [Test]
    public async Task Unmap_and_write_same_with_unmap_release_storage_and_read_zeroes_whatever_the_data_block_held()
    {
        var device = new MemoryBlockDevice(1024 * 1024, chunkSize: 4096);
        var unit = new ScsiLogicalUnit(device, "iqn.2024-01.net.targetd.test:disk", 0);
        await RunAsync(unit, Cdb.Write10(0, 64), dataOut: Enumerable.Repeat((byte)0xAB, 64 * 512).ToArray());

        var (unmap, _) = await RunAsync(unit, Cdb.Unmap(24), dataOut: Cdb.UnmapParameters(0, 32));
        long afterUnmap = device.AllocatedBytes;
        var (same, _) = await RunAsync(unit, Cdb.WriteSame16(32, 32, unmap: true), dataOut: Enumerable.Repeat((byte)0xFF, 512).ToArray());
        var (_, back) = await RunAsync(unit, Cdb.Read10(0, 64), 64 * 512);

        unmap.Status.Should().Be(ScsiStatus.Good);
        same.Status.Should().Be(ScsiStatus.Good);
        afterUnmap.Should().Be(16 * 1024);
        device.AllocatedBytes.Should().Be(0);
        back.Should().OnlyContain(b => b == 0);
    }

    [Test]
    public async Task Write_same_repeats_a_block()
    {
        var unit = Unit();
        var block = Enumerable.Range(0, 512).Select(i => (byte)(i * 7)).ToArray();

        var (result, _) = await RunAsync(unit, Cdb.WriteSame16(5, 3, unmap: false), dataOut: block);
        var (_, back) = await RunAsync(unit, Cdb.Read10(5, 3), 3 * 512);

        result.Status.Should().Be(ScsiStatus.Good);
        back.Should().Equal([.. block, .. block, .. block]);
    }

    [Test]
    public async Task Write_same_of_zero_blocks_runs_to_the_end_of_the_medium()
    {
        var unit = Unit(); // 2048 blocks
        var block = Enumerable.Range(0, 512).Select(i => (byte)(i * 3)).ToArray();

        var (result, _) = await RunAsync(unit, Cdb.WriteSame16(2040, 0, unmap: false), dataOut: block);
        var (_, back) = await RunAsync(unit, Cdb.Read10(2039, 9), 9 * 512);
        var (beyond, _) = await RunAsync(unit, Cdb.WriteSame16(2049, 0, unmap: false), dataOut: block);

        result.Status.Should().Be(ScsiStatus.Good);
        back.AsSpan(0, 512).ToArray().Should().OnlyContain(b => b == 0, "the block before the LBA is untouched");
        back.AsSpan(512).ToArray().Should().Equal(Enumerable.Repeat(block, 8).SelectMany(b => b));
        beyond.Sense!.Value.Asc.Should().Be(0x21, "an LBA past the end is out of range");
    }

    [Test]
    public async Task Write_same_of_zero_blocks_longer_than_the_maximum_write_same_length_is_refused()
    {
        var unit = Unit(size: 2L * ScsiLogicalUnit.MaxTransferBytes);
        var block = new byte[512];
        block[0] = 1;

        var (refused, _) = await RunAsync(unit, Cdb.WriteSame16(0, 0, unmap: false), dataOut: block);
        var (_, first) = await RunAsync(unit, Cdb.Read10(0, 1), 512);

        refused.Sense!.Value.Asc.Should().Be(0x24);
        first.Should().OnlyContain(b => b == 0, "nothing was written");
    }

    [TestCase(256)]
    [TestCase(1024)]
    public async Task Write_same_refuses_a_data_out_buffer_that_is_not_one_block(int length)
    {
        var unit = Unit();

        var (result, _) = await RunAsync(unit, Cdb.WriteSame16(5, 3, unmap: false), dataOut: Enumerable.Repeat((byte)0xA6, length).ToArray());
        var (_, back) = await RunAsync(unit, Cdb.Read10(5, 3), 3 * 512);

        result.Status.Should().Be(ScsiStatus.CheckCondition);
        result.Sense!.Value.Key.Should().Be(SenseKey.IllegalRequest);
        back.Should().OnlyContain(b => b == 0, "nothing is written");
    }

    [Test]
    public async Task Get_lba_status_describes_mapped_and_deallocated_ranges()
    {
        var device = new MemoryBlockDevice(1024 * 1024, chunkSize: 4096);
        var unit = new ScsiLogicalUnit(device, "iqn.2024-01.net.targetd.test:disk", 0);
        await device.WriteAsync(8192, new byte[] { 1 });

        var (result, data) = await RunAsync(unit, Cdb.GetLbaStatus(0), 4096);
        var (beyond, _) = await RunAsync(unit, Cdb.GetLbaStatus(2048), 4096);

        result.Status.Should().Be(ScsiStatus.Good);
        BinaryPrimitives.ReadUInt32BigEndian(data).Should().Be(4 + (3 * 16));
        Descriptor(data, 0).Should().Be((0UL, 16u, (byte)1));
        Descriptor(data, 1).Should().Be((16UL, 8u, (byte)0));
        Descriptor(data, 2).Should().Be((24UL, 2048u - 24, (byte)1));
        beyond.Sense.Should().Be(Sense.LbaOutOfRange());

        static (ulong, uint, byte) Descriptor(byte[] data, int i) => (
            BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(8 + (16 * i))),
            BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(16 + (16 * i))),
            data[20 + (16 * i)]);
    }

    [Test]
    public async Task Mode_sense_returns_caching_control_and_informational_exceptions_pages()
    {
        var unit = Unit();

        var (_, all) = await RunAsync(unit, Cdb.ModeSense6(0x3F), 255);
        var (_, caching) = await RunAsync(unit, Cdb.ModeSense10(0x08), 255);
        var (saved, _) = await RunAsync(unit, Cdb.ModeSense6(0xC8), 255);

        all[0].Should().Be((byte)(all.Length - 1));
        all[3].Should().Be(8, "one short block descriptor");
        all.Length.Should().Be(4 + 8 + 20 + 12 + 12);
        all[12].Should().Be(0x08);
        (all[14] & 0x04).Should().Be(0x04, "WCE");
        all[32].Should().Be(0x0A);
        all[44].Should().Be(0x1C);
        BinaryPrimitives.ReadUInt16BigEndian(caching).Should().Be((ushort)(caching.Length - 2));
        caching[16].Should().Be(0x08);
        saved.Sense.Should().Be(Sense.SavingParametersNotSupported());
    }

    [Test]
    public async Task Unit_attention_follows_a_reset_once_per_nexus_and_request_sense_clears_it()
    {
        var unit = Unit();
        unit.AttachNexus(1);
        unit.AttachNexus(2);

        unit.Reset(logicalUnitReset: true);
        var (inquiry, _) = await RunAsync(unit, Cdb.Inquiry(), 255, nexus: 1);
        var (first, _) = await RunAsync(unit, Cdb.TestUnitReady(), nexus: 1);
        var (second, _) = await RunAsync(unit, Cdb.TestUnitReady(), nexus: 1);
        var (_, sense) = await RunAsync(unit, Cdb.RequestSense(), 18, nexus: 2);
        var (afterSense, _) = await RunAsync(unit, Cdb.TestUnitReady(), nexus: 2);

        inquiry.Status.Should().Be(ScsiStatus.Good, "INQUIRY is not stopped by a unit attention");
        first.Sense.Should().Be(Sense.LogicalUnitResetOccurred());
        second.Status.Should().Be(ScsiStatus.Good);
        sense[2].Should().Be(0x06);
        sense[12].Should().Be(0x29);
        afterSense.Status.Should().Be(ScsiStatus.Good);
    }

    [Test]
    public async Task Report_supported_operation_codes_lists_and_describes_commands()
    {
        var unit = Unit();

        var (_, all) = await RunAsync(unit, Cdb.ReportSupportedOperationCodes(0), 4096);
        var (_, read10) = await RunAsync(unit, Cdb.ReportSupportedOperationCodes(1, 0x28), 4096);
        var (_, capacity) = await RunAsync(unit, Cdb.ReportSupportedOperationCodes(2, 0x9E, 0x10), 4096);
        var (_, unsupported) = await RunAsync(unit, Cdb.ReportSupportedOperationCodes(1, 0xC5), 4096);
        var (wrong, _) = await RunAsync(unit, Cdb.ReportSupportedOperationCodes(1, 0x9E), 4096);

        BinaryPrimitives.ReadUInt32BigEndian(all).Should().Be((uint)(8 * ScsiCommandTable.Commands.Count));
        read10[1].Should().Be(0x03);
        BinaryPrimitives.ReadUInt16BigEndian(read10.AsSpan(2)).Should().Be(10);
        read10[4].Should().Be(0x28);
        capacity[5].Should().Be(0x10);
        unsupported[1].Should().Be(0x01);
        wrong.Sense!.Value.Asc.Should().Be(0x24);
    }

    [Test]
    public async Task Dispatcher_reports_luns_and_answers_for_unmapped_ones()
    {
        var units = new Dictionary<int, ScsiLogicalUnit> { [0] = Unit(), [300] = Unit() };
        var buffer = new byte[4096];

        var luns = await ScsiDispatcher.ExecuteAsync(units, 7, new ScsiRequest(Pad(Cdb.ReportLuns()), 1, default, buffer), CancellationToken.None);
        var list = buffer[..luns.DataInLength];
        var inquiry = await ScsiDispatcher.ExecuteAsync(units, 7, new ScsiRequest(Pad(Cdb.Inquiry()), 1, default, buffer), CancellationToken.None);
        byte peripheral = buffer[0];
        var read = await ScsiDispatcher.ExecuteAsync(units, 7, new ScsiRequest(Pad(Cdb.Read10(0, 1)), 1, default, buffer), CancellationToken.None);

        list.Should().Equal(0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x41, 0x2C, 0, 0, 0, 0, 0, 0);
        inquiry.Status.Should().Be(ScsiStatus.Good);
        peripheral.Should().Be(0x7F);
        read.Sense.Should().Be(Sense.LogicalUnitNotSupported());
        ScsiDispatcher.DecodeLun(ScsiDispatcher.EncodeLun(300)).Should().Be(300);
        ScsiDispatcher.DecodeLun(ScsiDispatcher.EncodeLun(5)).Should().Be(5);
        ScsiDispatcher.DecodeLun(0x0000_0000_0000_0001UL).Should().Be(-1);
    }

    private static byte[] Pad(byte[] cdb)
    {
        var padded = new byte[16];
        cdb.CopyTo(padded, 0);
        return padded;
    }
}
