using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi;

namespace Targetd.Tests.Iscsi;

/// <summary>Implicit ALUA (SPC-4 §5.16): TPGS in INQUIRY, the target port designators, REPORT TARGET PORT GROUPS.</summary>
public sealed class TargetPortGroupsTests
{
    private static async Task<(ScsiResult Result, byte[] Data)> RunAsync(byte[] cdb, int dataIn = 255)
    {
        var unit = new ScsiLogicalUnit(new MemoryBlockDevice(1024 * 1024), "iqn.2024-01.net.targetd.test:disk", 0);
        var buffer = new byte[dataIn];
        var cdb16 = new byte[16];
        cdb.CopyTo(cdb16, 0);
        var result = await unit.ExecuteAsync(new ScsiRequest(cdb16, 1, Array.Empty<byte>(), buffer), CancellationToken.None);
        return (result, buffer[..result.DataInLength]);
    }

    [Test]
    public async Task The_device_identification_page_names_the_relative_target_port_and_its_group()
    {
        var (_, page) = await RunAsync(Cdb.Inquiry(true, 0x83));

        // After the logical unit's NAA (4 + 16) and T10 vendor ID (4 + 8 + 16 + 16 bytes of identity) designators.
        byte[] tail = page[^16..];
        tail.Should().Equal(
            0x51, 0x94, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, // iSCSI, PIV, target port, relative target port 1
            0x51, 0x95, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01); // iSCSI, PIV, target port, target port group 1
        ((page[2] << 8) | page[3]).Should().Be(page.Length - 4);
    }

    [Test]
    public async Task Report_target_port_groups_lists_one_preferred_active_optimized_group()
    {
        var (result, data) = await RunAsync(Cdb.ReportTargetPortGroups());

        result.Status.Should().Be(ScsiStatus.Good);
        data.Should().Equal(
            0x00, 0x00, 0x00, 0x0C, // RETURN DATA LENGTH
            0x80, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, // PREF, active/optimized; AO_SUP; group 1; status 0; one port
            0x00, 0x00, 0x00, 0x01); // relative target port 1
    }

    [Test]
    public async Task The_extended_header_gives_its_format_type_and_the_allocation_length_cuts()
    {
        var (_, extended) = await RunAsync(Cdb.ReportTargetPortGroups(format: 1));
        var (cut, _) = await RunAsync(Cdb.ReportTargetPortGroups(allocation: 6));
        var (refused, _) = await RunAsync(Cdb.ReportTargetPortGroups(format: 2));

        extended[..8].Should().Equal(0x00, 0x00, 0x00, 0x10, 0x10, 0x00, 0x00, 0x00);
        extended.Should().HaveCount(20);
        cut.DataInLength.Should().Be(6);
        refused.Status.Should().Be(ScsiStatus.CheckCondition);
        refused.Sense!.Value.Asc.Should().Be(0x24);
        refused.Sense.Value.FieldPointer.Should().Be(1);
    }

    [Test]
    public async Task Report_supported_operation_codes_lists_it_with_its_usage_data()
    {
        var (_, one) = await RunAsync(Cdb.ReportSupportedOperationCodes(0x02, 0xA3, 0x0A), 64);

        one[1].Should().Be(0x03, "SUPPORT 011b: supported as described");
        one[4..16].Should().Equal(0xA3, 0xEA, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00);
    }
}
