using Targetd.Iscsi.Scsi.Cdbs;

namespace Targetd.Tests.Iscsi;

/// <summary>Each field of the 6, 10, 12 and 16-byte direct-access CDBs read from its own bytes (SBC-3 §4.2.2).</summary>
public sealed class BlockCommandCdbTests
{
    [Test]
    public void A_six_byte_cdb_has_a_21_bit_lba_and_a_zero_length_that_means_256_blocks()
    {
        // READ(6): 08h, reserved bits 7-5 then LBA 20-16, LBA 15-0, TRANSFER LENGTH, CONTROL.
        byte[] bytes = [0x08, 0xFF, 0x34, 0x56, 0x00, 0x80];
        var cdb = new BlockCommandCdb(bytes);

        cdb.Size.Should().Be(6);
        cdb.Lba.Should().Be(0x1F3456, "only bits 4-0 of byte 1 belong to the LBA");
        cdb.TransferLength.Should().Be(0);
        cdb.Blocks.Should().Be(256);
        cdb.Flags.Should().Be(0, "a 6-byte CDB has no DPO/FUA byte");
        cdb.Control.Should().Be(0x80);
        cdb.TransferLengthByte.Should().Be(4);
        new BlockCommandCdb([0x0A, 0x00, 0x00, 0x01, 0x07, 0x00]).Blocks.Should().Be(7);
    }

    [Test]
    public void A_ten_byte_cdb_places_lba_group_length_and_control()
    {
        // WRITE(10) with WRPROTECT 5, DPO, FUA.
        byte[] bytes = [0x2A, 0xB8, 0x89, 0xAB, 0xCD, 0xEF, 0x13, 0x12, 0x34, 0x44];
        var cdb = new BlockCommandCdb(bytes);

        cdb.Size.Should().Be(10);
        cdb.Lba.Should().Be(0x89ABCDEF);
        cdb.TransferLength.Should().Be(0x1234);
        cdb.Blocks.Should().Be(0x1234);
        cdb.Protection.Should().Be(5);
        cdb.DisablePageOut.Should().BeTrue();
        cdb.ForceUnitAccess.Should().BeTrue();
        cdb.GroupNumber.Should().Be(0x13);
        cdb.Control.Should().Be(0x44);
        cdb.TransferLengthByte.Should().Be(7);
    }

    [Test]
    public void A_twelve_byte_cdb_has_a_32_bit_length_before_its_group()
    {
        // VERIFY(12) with BYTCHK 01b.
        byte[] bytes = [0xAF, 0x02, 0x00, 0x00, 0x10, 0x00, 0x00, 0x01, 0x00, 0x02, 0x1F, 0x00];
        var cdb = new BlockCommandCdb(bytes);

        cdb.Size.Should().Be(12);
        cdb.Lba.Should().Be(0x1000);
        cdb.TransferLength.Should().Be(0x10002);
        cdb.ByteCheck.Should().Be(1);
        cdb.DisablePageOut.Should().BeFalse();
        cdb.GroupNumber.Should().Be(0x1F);
        cdb.TransferLengthByte.Should().Be(6);
    }

    [Test]
    public void A_sixteen_byte_cdb_has_a_64_bit_lba_and_clamps_one_past_the_signed_range()
    {
        byte[] bytes = [0x88, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x05, 0x00];
        var cdb = new BlockCommandCdb(bytes);

        cdb.Size.Should().Be(16);
        cdb.Lba.Should().Be(0x1_0000_0002);
        cdb.TransferLength.Should().Be(0xFFFFFFFFL);
        cdb.GroupNumber.Should().Be(5);
        cdb.TransferLengthByte.Should().Be(10);

        byte[] huge = [0x8A, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00];
        new BlockCommandCdb(huge).Lba.Should().Be(long.MaxValue, "an LBA beyond the signed range stays out of range");
    }

    [Test]
    public void The_fields_read_the_same_from_a_longer_buffer_as_a_transport_pads_it()
    {
        // iSCSI carries 16 CDB bytes for every command: a READ(10) is followed by padding.
        byte[] padded = new byte[16];
        new byte[] { 0x28, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x08, 0x00 }.CopyTo(padded, 0);
        var (lba, blocks, flags) = new BlockCommandCdb(padded);

        (lba, blocks, flags).Should().Be((0x20L, 8L, (byte)0));
    }

    [TestCase(new byte[] { 0x28, 0x00, 0x00 }, TestName = "A truncated READ(10)")]
    [TestCase(new byte[] { 0x88, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, TestName = "A READ(16) of ten bytes")]
    [TestCase(new byte[] { 0x7F, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, TestName = "A variable-length group")]
    [TestCase(new byte[] { }, TestName = "An empty CDB")]
    public void A_cdb_too_short_for_its_group_or_of_another_layout_is_refused(byte[] bytes)
    {
        var parse = () => new BlockCommandCdb(bytes).Size;

        parse.Should().Throw<ArgumentException>();
    }
}
