using System.Buffers.Binary;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi;

namespace Targetd.Tests.Iscsi;

public sealed class SanitizeAndWriteProtectTests
{
    private const int Block = 512;
    private const string OtherPort = "iqn.2024-01.net.targetd.test:other,i,0x000000000002";

    [Test]
    public async Task Setting_swp_write_protects_every_view_of_the_device_and_tells_the_other_initiators()
    {
        var device = new ScsiDevice(new MemoryBlockDevice(1024 * 1024), "swp-disk");
        var unit = new ScsiLogicalUnit(device, "iqn.2024-01.net.targetd.test:swp", 0);
        var otherView = new ScsiLogicalUnit(device, "iqn.2024-01.net.targetd.test:swp", 5);
        otherView.AttachNexus(2, OtherPort, () => ValueTask.CompletedTask);

        var (select, _) = await RunAsync(unit, ModeSelect6(ControlPage(swp: true)), 0, ModeSelectList(ControlPage(swp: true)));

        select.Status.Should().Be(ScsiStatus.Good);
        var (write, _) = await RunAsync(unit, Cdb.Write10(0, 1), 0, new byte[Block]);
        write.Sense.Should().Be(Sense.SoftwareWriteProtected());
        var (attention, _) = await RunAsync(otherView, Cdb.TestUnitReady(), 0, nexus: 2, port: OtherPort);
        attention.Sense.Should().Be(Sense.ModeParametersChanged());
        var (otherWrite, _) = await RunAsync(otherView, Cdb.Write10(0, 1), 0, new byte[Block], nexus: 2, port: OtherPort);
        otherWrite.Sense.Should().Be(Sense.SoftwareWriteProtected());
        var (_, mode) = await RunAsync(unit, Cdb.ModeSense6(0x0A), 255);
        (mode[2] & 0x80).Should().Be(0x80, "WP in the mode parameter header");
        (mode[4 + 8 + 4] & 0x08).Should().Be(0x08, "SWP in the current Control page");
        (await RunAsync(unit, Cdb.Read10(0, 1), Block)).Result.Status.Should().Be(ScsiStatus.Good, "reads go on");
        var (_, defaults) = await RunAsync(unit, [0x1A, 0x08, 0x80 | 0x0A, 0, 255, 0], 255);
        (defaults[4 + 4] & 0x08).Should().Be(0, "SWP is clear in the default values");

        await RunAsync(unit, ModeSelect6(ControlPage(swp: false)), 0, ModeSelectList(ControlPage(swp: false)));
        (await RunAsync(unit, Cdb.Write10(0, 1), 0, new byte[Block])).Result.Status.Should().Be(ScsiStatus.Good);
    }

    [Test]
    public async Task Mode_select_of_a_field_other_than_swp_is_refused_and_changes_nothing()
    {
        var unit = Unit();
        var page = ControlPage(swp: true);
        page[5] = 0x40; // TAS is not changeable

        var (result, _) = await RunAsync(unit, ModeSelect6(page), 0, ModeSelectList(page));

        result.Sense!.Value.Asc.Should().Be(0x26);
        (await RunAsync(unit, Cdb.Write10(0, 1), 0, new byte[Block])).Result.Status.Should().Be(ScsiStatus.Good);
    }

    [Test]
    public async Task The_changeable_control_page_marks_swp()
    {
        var (_, mode) = await RunAsync(Unit(), [0x1A, 0x08, 0x40 | 0x0A, 0, 255, 0], 255);

        mode[4 + 4].Should().Be(0x08);
    }

    [Test]
    public async Task Block_erase_unmaps_the_whole_device()
    {
        var device = new MemoryBlockDevice(1024 * 1024, chunkSize: 4096);
        var unit = new ScsiLogicalUnit(device, "iqn.2024-01.net.targetd.test:erase", 0);
        await device.WriteAsync(0, Enumerable.Repeat((byte)0x61, 64 * Block).ToArray());
        await device.WriteAsync(device.Length - (64 * Block), Enumerable.Repeat((byte)0x61, 64 * Block).ToArray());

        var (result, _) = await RunAsync(unit, Sanitize(0x02), 0);

        result.Status.Should().Be(ScsiStatus.Good);
        device.AllocatedBytes.Should().Be(0);
        (await RunAsync(unit, Cdb.Read10(0, 64), 64 * Block)).Data.Should().OnlyContain(b => b == 0);
    }

    [Test]
    public async Task An_immediate_block_erase_answers_at_once_and_holds_other_commands_until_it_ends()
    {
        var memory = new MemoryBlockDevice(1024 * 1024, chunkSize: 4096);
        var device = new PiecewiseBlockDevice(memory) { DiscardGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var unit = new ScsiLogicalUnit(device, "iqn.2024-01.net.targetd.test:erase", 0);
        await memory.WriteAsync(0, Enumerable.Repeat((byte)0x61, 8 * Block).ToArray());

        var (erase, _) = await RunAsync(unit, Sanitize(0x82), 0);
        var (during, _) = await RunAsync(unit, Cdb.Read10(0, 1), Block);
        var (inquiry, _) = await RunAsync(unit, Cdb.Inquiry(), 255);
        var (second, _) = await RunAsync(unit, Sanitize(0x02), 0);
        device.DiscardGate.SetResult();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        ScsiResult after;
        do
        {
            await Task.Delay(10);
            (after, _) = await RunAsync(unit, Cdb.TestUnitReady(), 0);
        }
        while (after.Status != ScsiStatus.Good && DateTime.UtcNow < deadline);

        erase.Status.Should().Be(ScsiStatus.Good);
        during.Sense.Should().Be(Sense.SanitizeInProgress());
        inquiry.Status.Should().Be(ScsiStatus.Good, "INQUIRY is served during a sanitize");
        second.Sense.Should().Be(Sense.SanitizeInProgress());
        after.Status.Should().Be(ScsiStatus.Good);
        memory.AllocatedBytes.Should().Be(0);
    }

    [TestCase(0x01, 1, TestName = "OVERWRITE is not offered")]
    [TestCase(0x03, 1, TestName = "CRYPTOGRAPHIC ERASE is not offered")]
    [TestCase(0x05, 1, TestName = "An undefined service action is refused")]
    [TestCase(0x42, 1, TestName = "The reserved bit of byte 1 is refused")]
    [TestCase(0x02, 3, TestName = "A reserved byte set is refused")]
    [TestCase(0x02, 7, TestName = "BLOCK ERASE with a parameter list is refused")]
    public async Task Malformed_sanitize_is_an_invalid_field_and_erases_nothing(byte byte1, int field)
    {
        var device = new MemoryBlockDevice(1024 * 1024, chunkSize: 4096);
        var unit = new ScsiLogicalUnit(device, "iqn.2024-01.net.targetd.test:erase", 0);
        await device.WriteAsync(0, Enumerable.Repeat((byte)0x61, Block).ToArray());
        var cdb = Sanitize(byte1);
        if (field is 3 or 7)
        {
            cdb[field + (field == 7 ? 1 : 0)] = 8;
        }

        var (result, _) = await RunAsync(unit, cdb, 0);

        result.Sense!.Value.Asc.Should().Be(0x24);
        result.Sense!.Value.FieldPointer.Should().Be((ushort)field);
        device.AllocatedBytes.Should().Be(4096);
    }

    [Test]
    public async Task Sanitize_of_a_write_protected_unit_is_refused()
    {
        var device = new MemoryBlockDevice(1024 * 1024, isReadOnly: true);
        var unit = new ScsiLogicalUnit(device, "iqn.2024-01.net.targetd.test:erase", 0);

        (await RunAsync(unit, Sanitize(0x02), 0)).Result.Sense.Should().Be(Sense.WriteProtected());
    }

    [Test]
    public async Task Block_descriptor_characteristics_promise_readable_blocks_after_block_erase()
    {
        var (_, page) = await RunAsync(Unit(), Cdb.Inquiry(true, 0xB1), 255);

        (page[7] >> 6).Should().Be(1, "WABEREQ 01b");
        BinaryPrimitives.ReadUInt16BigEndian(page.AsSpan(4)).Should().Be(1, "non-rotating medium");
    }

    private static ScsiLogicalUnit Unit() => new(new MemoryBlockDevice(1024 * 1024), "iqn.2024-01.net.targetd.test:swp", 0);

    private static byte[] Sanitize(byte byte1) => [0x48, byte1, 0, 0, 0, 0, 0, 0, 0, 0];

    private static byte[] ControlPage(bool swp)
    {
        var page = new byte[12];
        page[0] = 0x0A;
        page[1] = 0x0A;
        page[4] = (byte)(swp ? 0x08 : 0);
        return page;
    }

    private static byte[] ModeSelectList(byte[] page) => [0, 0, 0, 0, .. page];

    private static byte[] ModeSelect6(byte[] page) => [0x15, 0x10, 0, 0, (byte)(4 + page.Length), 0];

    private static async Task<(ScsiResult Result, byte[] Data)> RunAsync(
        ScsiLogicalUnit unit, byte[] cdb, int dataIn, byte[]? dataOut = null, ulong nexus = 1, string? port = null)
    {
        var cdb16 = new byte[16];
        cdb.CopyTo(cdb16, 0);
        var buffer = new byte[dataIn];
        var result = await unit.ExecuteAsync(new ScsiRequest(cdb16, nexus, dataOut ?? [], buffer, port), CancellationToken.None);
        return (result, buffer[..result.DataInLength]);
    }
}
