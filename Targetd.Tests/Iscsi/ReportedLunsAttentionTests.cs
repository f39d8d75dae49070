using Targetd.Iscsi.Scsi;

namespace Targetd.Tests.Iscsi;

/// <summary>REPORTED LUNS DATA HAS CHANGED decided in the SCSI layer, per I_T nexus.</summary>
public sealed class ReportedLunsAttentionTests
{
    private static readonly SenseData Changed = Sense.UnitAttention(0x3F, 0x0E);

    [Test]
    public void Nothing_is_reported_while_the_inventory_stamp_stays()
    {
        var attention = new ReportedLunsAttention(7);

        attention.Take(7, [0, 1], 0, Cdb.TestUnitReady()).Should().BeNull();
        attention.Take(7, [0, 1], 1, Cdb.Read10(0, 1)).Should().BeNull();
    }

    [Test]
    public void After_a_change_each_lun_reports_it_once_and_inquiry_never()
    {
        var attention = new ReportedLunsAttention(7);

        attention.Take(8, [0, 2], 0, Cdb.Inquiry()).Should().BeNull("INQUIRY never reports a unit attention");
        attention.Take(8, [0, 2], 0, Cdb.TestUnitReady()).Should().Be(Changed);
        attention.Take(8, [0, 2], 0, Cdb.TestUnitReady()).Should().BeNull("reported once on LUN 0");
        attention.Take(8, [0, 2], 2, Cdb.Read10(0, 1)).Should().Be(Changed);
        attention.Take(8, [0, 2], 2, Cdb.Read10(0, 1)).Should().BeNull();
    }

    [Test]
    public void Report_luns_clears_it_for_every_lun()
    {
        var attention = new ReportedLunsAttention(1);

        attention.Take(2, [0, 1, 2], 1, Cdb.ReportLuns()).Should().BeNull();
        foreach (int lun in new[] { 0, 1, 2 })
        {
            attention.Take(2, [0, 1, 2], lun, Cdb.TestUnitReady()).Should().BeNull();
        }

        attention.Take(3, [0], 0, Cdb.TestUnitReady()).Should().Be(Changed, "a later change is reported again");
    }
}
