using System.Buffers.Binary;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi;

namespace Targetd.Tests.Iscsi;

public sealed class ExtendedCopyTests
{
    private const int Block = 512;

    [Test]
    public async Task A_block_to_block_segment_copies_inside_the_unit_and_reports_its_results()
    {
        var (unit, device) = Unit();
        var data = Pattern(64 * Block, 3);
        await device.WriteAsync(0, data);

        var result = await CopyAsync(unit, ParameterList(unit, listId: 7, (0, 0, 64, 0, 1000)));
        var (status, statusData) = await RunAsync(unit, Cdb.ReceiveCopyResults(0x00, 7), 64);

        result.Status.Should().Be(ScsiStatus.Good);
        (await ReadAsync(device, 1000, 64)).Should().Equal(data);
        status.Status.Should().Be(ScsiStatus.Good);
        statusData.Should().Equal(0, 0, 0, 8, 0x01, 0, 1, 0x00, 0, 0, 0x80, 0x00);
    }

    [Test]
    public async Task An_overlapping_copy_to_higher_blocks_moves_the_data_like_memmove()
    {
        var (unit, device) = Unit();
        var data = Pattern(64 * Block, 9);
        await device.WriteAsync(0, data);

        (await CopyAsync(unit, ParameterList(unit, 1, (0, 0, 64, 0, 10)))).Status.Should().Be(ScsiStatus.Good);

        (await ReadAsync(device, 10, 64)).Should().Equal(data);
    }

    [Test]
    public async Task A_descriptor_naming_another_unit_is_unreachable_and_nothing_is_copied()
    {
        var (unit, device) = Unit();
        var (other, _) = Unit(target: "iqn.2024-01.net.targetd.test:other");
        await device.WriteAsync(0, Pattern(8 * Block, 1));
        var parameters = ParameterList(other, 1, (0, 0, 8, 0, 100));

        var result = await CopyAsync(unit, parameters);

        result.Sense.Should().Be(Sense.UnreachableCopyTarget());
        result.Sense!.Value.Key.Should().Be(SenseKey.CopyAborted);
        device.AllocatedBytes.Should().Be(4096, "only the source block range was ever written");
    }

    [Test]
    public async Task A_copy_between_two_units_the_initiator_sees_moves_the_blocks()
    {
        var (first, firstDevice) = Unit();
        var (second, secondDevice) = Unit(target: "iqn.2024-01.net.targetd.test:second");
        var data = Pattern(32 * Block, 4);
        await firstDevice.WriteAsync(8 * Block, data);
        var visible = new Dictionary<int, ScsiLogicalUnit> { [0] = first, [1] = second };

        var result = await CopyAsync(first, TwoUnitList(first, second, 32, 8, 500), visible);

        result.Status.Should().Be(ScsiStatus.Good);
        (await ReadAsync(secondDevice, 500, 32)).Should().Equal(data);
    }

    [Test]
    public async Task A_destination_reserved_by_another_initiator_conflicts_and_a_read_only_one_is_write_protected()
    {
        var (first, firstDevice) = Unit();
        var (second, secondDevice) = Unit(target: "iqn.2024-01.net.targetd.test:second");
        var readOnly = new ScsiLogicalUnit(new MemoryBlockDevice(1024 * 1024, isReadOnly: true), "iqn.2024-01.net.targetd.test:ro", 0);
        await firstDevice.WriteAsync(0, Pattern(8 * Block, 2));
        var reservation = new byte[24];
        BinaryPrimitives.WriteUInt64BigEndian(reservation.AsSpan(8), 0x99);
        const string owner = "iqn.2024-01.net.targetd.test:owner,i,0x000000000001";
        await RunAsync(second, [0x5F, 0x00, 0, 0, 0, 0, 0, 0, 24, 0], 0, reservation, port: owner);
        BinaryPrimitives.WriteUInt64BigEndian(reservation, 0x99);
        BinaryPrimitives.WriteUInt64BigEndian(reservation.AsSpan(8), 0);
        await RunAsync(second, [0x5F, 0x01, 0x01, 0, 0, 0, 0, 0, 24, 0], 0, reservation, port: owner);
        var visible = new Dictionary<int, ScsiLogicalUnit> { [0] = first, [1] = second, [2] = readOnly };

        var conflict = await CopyAsync(first, TwoUnitList(first, second, 8, 0, 100), visible, "iqn.2024-01.net.targetd.test:copier,i,0x000000000002");
        var protectedCopy = await CopyAsync(first, TwoUnitList(first, readOnly, 8, 0, 100), visible);

        conflict.Status.Should().Be(ScsiStatus.ReservationConflict);
        (await ReadAsync(secondDevice, 100, 8)).Should().OnlyContain(b => b == 0);
        protectedCopy.Sense.Should().Be(Sense.WriteProtected());
    }

    [Test]
    public async Task A_unit_the_initiator_does_not_see_is_unreachable_even_if_it_exists()
    {
        var (first, _) = Unit();
        var (hidden, hiddenDevice) = Unit(target: "iqn.2024-01.net.targetd.test:hidden");
        await hiddenDevice.WriteAsync(0, Pattern(8 * Block, 6));
        var visible = new Dictionary<int, ScsiLogicalUnit> { [0] = first };

        var result = await CopyAsync(first, TwoUnitList(hidden, first, 8, 0, 100), visible);

        result.Sense.Should().Be(Sense.UnreachableCopyTarget());
    }

    [Test]
    public async Task A_list_whose_second_segment_runs_past_the_end_copies_nothing()
    {
        var (unit, device) = Unit();
        await device.WriteAsync(0, Pattern(8 * Block, 1));

        var result = await CopyAsync(unit, ParameterList(unit, 1, (0, 0, 8, 0, 100), (0, 0, 8, 0, 2045)));

        result.Sense!.Value.Key.Should().Be(SenseKey.CopyAborted);
        (await ReadAsync(device, 100, 8)).Should().OnlyContain(b => b == 0);
    }

    [Test]
    public async Task A_segment_naming_a_missing_target_descriptor_is_unreachable()
    {
        var (unit, _) = Unit();

        (await CopyAsync(unit, ParameterList(unit, 1, (0, 1, 8, 0, 100)))).Sense.Should().Be(Sense.UnreachableCopyTarget());
    }

    [Test]
    public async Task Malformed_parameter_lists_get_the_sense_spc4_names()
    {
        var (unit, _) = Unit();
        var good = ParameterList(unit, 1, (0, 0, 8, 0, 100));

        (await CopyAsync(unit, good[..(16 + 32 - 1)])).Sense.Should().Be(Sense.ParameterListLengthError(), "a cut target descriptor");
        (await CopyAsync(unit, good[..^1])).Sense.Should().Be(Sense.ParameterListLengthError(), "a cut segment descriptor");

        var wrongTarget = (byte[])good.Clone();
        wrongTarget[16] = 0xE0;
        (await CopyAsync(unit, wrongTarget)).Sense!.Value.Ascq.Should().Be(0x07, "UNSUPPORTED TARGET DESCRIPTOR TYPE CODE");

        var wrongSegment = (byte[])good.Clone();
        wrongSegment[48] = 0x01;
        (await CopyAsync(unit, wrongSegment)).Sense!.Value.Ascq.Should().Be(0x09, "UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE");

        var fiveTargets = ParameterList(unit, 1, 5, (0, 0, 8, 0, 100));
        (await CopyAsync(unit, fiveTargets)).Sense.Should().Be(Sense.TooManyTargetDescriptors());

        var segments = Enumerable.Repeat((0, 0, 1, 0UL, 100UL), ExtendedCopyList.MaxSegmentDescriptors + 1).ToArray();
        (await CopyAsync(unit, ParameterList(unit, 1, 1, segments))).Sense.Should().Be(Sense.TooManySegmentDescriptors());
    }

    [Test]
    public async Task A_zero_parameter_list_length_copies_nothing_and_is_good()
    {
        var (unit, _) = Unit();

        (await RunAsync(unit, Cdb.ExtendedCopy(0), 0, [])).Result.Status.Should().Be(ScsiStatus.Good);
    }

    [Test]
    public async Task Copy_status_of_an_unknown_list_is_an_invalid_field_and_operating_parameters_list_the_limits()
    {
        var (unit, _) = Unit();

        var (unknown, _) = await RunAsync(unit, Cdb.ReceiveCopyResults(0x00, 9), 64);
        var (_, parameters) = await RunAsync(unit, Cdb.ReceiveCopyResults(0x03, 0), 64);

        unknown.Sense.Should().Be(Sense.InvalidFieldInCdb(2));
        parameters.Should().HaveCount(46);
        BinaryPrimitives.ReadUInt32BigEndian(parameters).Should().Be(42);
        BinaryPrimitives.ReadUInt16BigEndian(parameters.AsSpan(8)).Should().Be(ExtendedCopyList.MaxTargetDescriptors);
        BinaryPrimitives.ReadUInt16BigEndian(parameters.AsSpan(10)).Should().Be(ExtendedCopyList.MaxSegmentDescriptors);
        BinaryPrimitives.ReadUInt32BigEndian(parameters.AsSpan(12)).Should().Be(ExtendedCopyList.MaxDescriptorListLength);
        parameters[43..].Should().Equal(2, 0x02, 0xE4);
    }

    [Test]
    public async Task The_third_party_copy_vpd_page_lists_the_copy_commands_and_descriptors()
    {
        var (unit, _) = Unit();

        var (_, page) = await RunAsync(unit, Cdb.Inquiry(true, 0x8F), 255);
        var (_, supported) = await RunAsync(unit, Cdb.Inquiry(true, 0x00), 255);

        page.Should().Equal(
            0x00, 0x8F, 0x00, 0x14,
            0x00, 0x01, 0x00, 0x08, 7, 0x83, 1, 0x00, 0x84, 2, 0x00, 0x03,
            0x00, 0x08, 0x00, 0x04, 2, 0x02, 0xE4, 0x00);
        supported[4..].Should().Contain(0x8F);
    }

    private static (ScsiLogicalUnit Unit, MemoryBlockDevice Device) Unit(string target = "iqn.2024-01.net.targetd.test:xcopy")
    {
        var device = new MemoryBlockDevice(1024 * 1024, chunkSize: 4096);
        return (new ScsiLogicalUnit(device, target, 0), device);
    }

    /// <summary>A list whose target descriptor 0 names <paramref name="source"/> and 1 names <paramref name="destination"/>.</summary>
    private static byte[] TwoUnitList(ScsiLogicalUnit source, ScsiLogicalUnit destination, int blocks, ulong sourceLba, ulong destinationLba)
    {
        var list = ParameterList(source, 1, 2, (0, 1, blocks, sourceLba, destinationLba));
        destination.Identity.Naa.Span.CopyTo(list.AsSpan(16 + 32 + 8));
        return list;
    }

    private static byte[] ParameterList(ScsiLogicalUnit named, byte listId, params (int Source, int Destination, int Blocks, ulong SourceLba, ulong DestinationLba)[] segments) =>
        ParameterList(named, listId, 1, segments);

    /// <summary>A LID1 parameter list (SPC-4 §6.4.3.1): header, identification target descriptors naming the unit by NAA, segments.</summary>
    private static byte[] ParameterList(
        ScsiLogicalUnit named, byte listId, int targets, params (int Source, int Destination, int Blocks, ulong SourceLba, ulong DestinationLba)[] segments)
    {
        var list = new byte[16 + (32 * targets) + (28 * segments.Length)];
        list[0] = listId;
        BinaryPrimitives.WriteUInt16BigEndian(list.AsSpan(2), (ushort)(32 * targets));
        BinaryPrimitives.WriteUInt32BigEndian(list.AsSpan(8), (uint)(28 * segments.Length));
        for (int i = 0; i < targets; i++)
        {
            var target = list.AsSpan(16 + (32 * i), 32);
            target[0] = 0xE4;
            target[4] = 0x01; // binary
            target[5] = 0x03; // LU association, NAA
            target[7] = 16;
            named.Identity.Naa.Span.CopyTo(target[8..]);
            target[29] = (byte)(Block >> 16); // DISK BLOCK LENGTH, 24 bits
            target[30] = (byte)(Block >> 8);
            target[31] = unchecked((byte)Block);
        }

        for (int i = 0; i < segments.Length; i++)
        {
            var segment = list.AsSpan(16 + (32 * targets) + (28 * i), 28);
            segment[0] = 0x02;
            BinaryPrimitives.WriteUInt16BigEndian(segment[2..], 0x18);
            BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)segments[i].Source);
            BinaryPrimitives.WriteUInt16BigEndian(segment[6..], (ushort)segments[i].Destination);
            BinaryPrimitives.WriteUInt16BigEndian(segment[10..], (ushort)segments[i].Blocks);
            BinaryPrimitives.WriteUInt64BigEndian(segment[12..], segments[i].SourceLba);
            BinaryPrimitives.WriteUInt64BigEndian(segment[20..], segments[i].DestinationLba);
        }

        return list;
    }

    private static async Task<ScsiResult> CopyAsync(
        ScsiLogicalUnit unit, byte[] parameters, IReadOnlyDictionary<int, ScsiLogicalUnit>? visible = null, string? port = null) =>
        (await RunAsync(unit, Cdb.ExtendedCopy((uint)parameters.Length), 0, parameters, visible, port)).Result;

    private static async Task<(ScsiResult Result, byte[] Data)> RunAsync(
        ScsiLogicalUnit unit, byte[] cdb, int dataIn, byte[]? dataOut = null, IReadOnlyDictionary<int, ScsiLogicalUnit>? visible = null, string? port = null)
    {
        var cdb16 = new byte[16];
        cdb.CopyTo(cdb16, 0);
        var buffer = new byte[dataIn];
        var result = await unit.ExecuteAsync(new ScsiRequest(cdb16, 1, dataOut ?? [], buffer, port, visible), CancellationToken.None);
        return (result, buffer[..result.DataInLength]);
    }

    private static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static async Task<byte[]> ReadAsync(MemoryBlockDevice device, long lba, int blocks)
    {
        var data = new byte[blocks * Block];
        await device.ReadAsync(lba * Block, data);
        return data;
    }
}
