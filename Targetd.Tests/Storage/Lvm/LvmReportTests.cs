using Targetd.Core.Processes;
using Targetd.Storage.Errors;
using Targetd.Storage.Pools.Lvm;

namespace Targetd.Tests.Storage.Lvm;

public sealed class LvmReportTests
{
    private static readonly ProcessCommand Lvs = LvmCommands.ReportLogicalVolumes("vg0");

    [Test]
    public void Lvs_rows_carry_sizes_attributes_pools_and_percents()
    {
        var lvs = LvmReport.ParseLogicalVolumes(Lvs, LvmOutputs.Lvs);

        lvs.Should().HaveCount(7);
        lvs.Single(lv => lv.Name == "tp").Should().Be(
            new LvmLogicalVolume("tp", LvmOutputs.ThinPoolUuid, 10737418240, "twi-aotz--", "", 12.34m, 4.61m));
        lvs.Single(lv => lv.Name == "thin1").Should().Match<LvmLogicalVolume>(lv =>
            lv.IsThinVolume && lv.IsActive && lv.PoolLv == "tp" && lv.DataPercent == 61.02m && lv.MetadataPercent == null);
        lvs.Single(lv => lv.Name == "lv2").Should().Match<LvmLogicalVolume>(lv => lv.IsPlain && !lv.IsActive);
    }

    [Test]
    public void The_json_std_format_with_numbers_is_read_as_well()
    {
        const string output = """
            {
                "report": [
                    {
                        "lv": [
                            {"lv_name":"lv1", "lv_uuid":"c2bmXn-0xQ9-Tu2w-oJNO-hhbG-Zp1S-ZgN1mK", "lv_size":1073741824, "lv_attr":"-wi-a-----", "pool_lv":"", "data_percent":null, "metadata_percent":null}
                        ]
                    }
                ]
            }
            """;

        LvmReport.ParseLogicalVolumes(Lvs, output).Should().Equal(
            new LvmLogicalVolume("lv1", LvmOutputs.Lv1Uuid, 1073741824, "-wi-a-----", "", null, null));
    }

    [TestCase("")]
    [TestCase("{}")]
    [TestCase("""{"report": [{"lv": [{"lv_name":"lv1"}]}]}""")]
    [TestCase("""{"report": [{"lv": [{"lv_name":"lv1", "lv_uuid":"u", "lv_size":"4.00m", "lv_attr":"-wi-a-----"}]}]}""")]
    public void Output_that_is_not_an_lvs_report_is_an_error_naming_the_command(string output)
    {
        var parse = () => LvmReport.ParseLogicalVolumes(Lvs, output);

        parse.Should().Throw<StorageException>().Which.Should().Match<StorageException>(e =>
            e.Kind == StorageErrorKind.Failed && e.Message.StartsWith("Unexpected output of \"['lvs', ", StringComparison.Ordinal));
    }

    [TestCase(1, "512b")]
    [TestCase(512, "512b")]
    [TestCase(513, "1024b")]
    [TestCase(1073741824, "1073741824b")]
    public void Sizes_are_passed_in_bytes_rounded_up_to_whole_sectors(long size, string argument) =>
        LvmCommands.Size(size).Should().Be(argument);
}
