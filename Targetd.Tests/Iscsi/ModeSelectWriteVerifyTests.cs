using System.Buffers.Binary;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi;

namespace Targetd.Tests.Iscsi;

public sealed class ModeSelectWriteVerifyTests
{
    private static async Task<(ScsiResult Result, byte[] Data)> RunAsync(ScsiLogicalUnit unit, byte[] cdb, int dataIn = 0, byte[]? dataOut = null)
    {
        var buffer = new byte[dataIn];
        var cdb16 = new byte[16];
        cdb.CopyTo(cdb16, 0);
        var result = await unit.ExecuteAsync(new ScsiRequest(cdb16, 1, dataOut ?? [], buffer), CancellationToken.None);
        return (result, buffer[..result.DataInLength]);
    }

    private static (ScsiLogicalUnit Unit, MemoryBlockDevice Device) Unit()
    {
        var device = new MemoryBlockDevice(1024 * 1024);
        var unit = new ScsiLogicalUnit(device, "iqn.2024-01.net.targetd.test:disk", 0);
        return (unit, device);
    }

    [Test]
    public async Task Mode_select_accepts_the_current_caching_page_back()
    {
        var (unit, _) = Unit();
        _ = await RunAsync(unit, [0x1A, 0x00, 0x3F, 0x00, 0xFF, 0x00], 4); // clear the power-on unit attention
        var (_, sense) = await RunAsync(unit, [0x1A, 0x08, 0x08, 0x00, 0xFF, 0x00], 255); // MODE SENSE(6), DBD, caching page
        var list = new byte[sense.Length];
        sense.CopyTo(list, 0);
        list[0] = 0; // mode data length is reserved in MODE SELECT

        var (result, _) = await RunAsync(unit, [0x15, 0x10, 0x00, 0x00, (byte)list.Length, 0x00], dataOut: list);

        result.Status.Should().Be(ScsiStatus.Good);
    }

    [Test]
    public async Task Mode_select_changing_a_field_that_cannot_change_is_refused_with_its_position()
    {
        var (unit, _) = Unit();
        _ = await RunAsync(unit, [0x00, 0, 0, 0, 0, 0]);
        var list = new byte[4 + 20];
        list[4] = 0x08;
        list[5] = 0x12;
        list[6] = 0x00; // WCE cleared: not changeable

        var (result, _) = await RunAsync(unit, [0x15, 0x10, 0x00, 0x00, (byte)list.Length, 0x00], dataOut: list);

        result.Status.Should().Be(ScsiStatus.CheckCondition);
        result.Sense!.Value.Asc.Should().Be(0x26);
        result.Sense.Value.FieldPointer.Should().Be(6);
    }

    [TestCase(new byte[] { 0x15, 0x11, 0, 0, 4, 0 })]
    public async Task Mode_select_of_saved_pages_is_refused(byte[] cdb)
    {
        var (unit, _) = Unit();
        _ = await RunAsync(unit, [0x00, 0, 0, 0, 0, 0]);

        var (result, _) = await RunAsync(unit, cdb, dataOut: new byte[4]);

        result.Status.Should().Be(ScsiStatus.CheckCondition);
        result.Sense!.Value.Asc.Should().Be(0x24);
    }

    [TestCase((byte)0x2E)]
    [TestCase((byte)0xAE)]
    [TestCase((byte)0x8E)]
    public async Task Write_and_verify_writes_the_blocks_and_byte_checks_them(byte opcode)
    {
        var (unit, device) = Unit();
        _ = await RunAsync(unit, [0x00, 0, 0, 0, 0, 0]);
        var data = Enumerable.Range(0, 1024).Select(i => (byte)i).ToArray();
        var cdb = new byte[16];
        cdb[0] = opcode;
        cdb[1] = 0x02; // BYTCHK 01b
        switch (opcode >> 5)
        {
            case 1:
                BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(2), 8);
                BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(7), 2);
                break;
            case 5:
                BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(2), 8);
                BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(6), 2);
                break;
            default:
                BinaryPrimitives.WriteUInt64BigEndian(cdb.AsSpan(2), 8);
                BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(10), 2);
                break;
        }

        var (result, _) = await RunAsync(unit, cdb, dataOut: data);

        result.Status.Should().Be(ScsiStatus.Good);
        var back = new byte[1024];
        await device.ReadAsync(8 * 512, back);
        back.Should().Equal(data);
    }

    [Test]
    public async Task Write_and_verify_past_the_end_writes_nothing()
    {
        var (unit, device) = Unit();
        _ = await RunAsync(unit, [0x00, 0, 0, 0, 0, 0]);
        var cdb = new byte[10];
        cdb[0] = 0x2E;
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(2), 2047);
        BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(7), 2);

        var (result, _) = await RunAsync(unit, cdb, dataOut: new byte[1024].Select(_ => (byte)7).ToArray());

        result.Status.Should().Be(ScsiStatus.CheckCondition);
        result.Sense!.Value.Asc.Should().Be(0x21);
        (await device.GetAllocatedExtentsAsync(0, device.Length)).Should().BeEmpty();
    }
}
