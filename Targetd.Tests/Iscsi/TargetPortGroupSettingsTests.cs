using Targetd.Iscsi.Scsi;

namespace Targetd.Tests.Iscsi;

/// <summary>Which group is a shared device's active/optimized one: the same answer in every gateway.</summary>
public sealed class TargetPortGroupSettingsTests
{
    private static readonly ushort[] Three = [1, 2, 3];

    [Test]
    public void First_makes_the_lowest_group_the_owner_of_every_shared_device()
    {
        var settings = new TargetPortGroupSettings(3, [3, 2, 1], AluaOptimizedRule.First);

        Serials(50).Select(s => settings.For(s, shared: true).Optimized).Should().AllBeEquivalentTo((ushort)1);
        settings.SharedGroups.Should().Equal(Three);
    }

    [Test]
    public void Spread_gives_every_gateway_the_same_owner_whatever_its_own_group()
    {
        var gateways = Three.Select(g => new TargetPortGroupSettings(g, [.. Three.Reverse()], AluaOptimizedRule.Spread)).ToList();

        foreach (var serial in Serials(200))
        {
            gateways.Select(g => g.For(serial, shared: true).Optimized).Distinct().Should().ContainSingle();
        }
    }

    [Test]
    public void Spread_gives_every_group_some_devices()
    {
        var settings = new TargetPortGroupSettings(1, Three, AluaOptimizedRule.Spread);

        var owners = Serials(300).GroupBy(s => settings.For(s, shared: true).Optimized).ToDictionary(g => g.Key, g => g.Count());

        owners.Keys.Should().BeEquivalentTo(Three);
        owners.Values.Should().OnlyContain(n => n > 50, "a hash spreads 300 volumes roughly evenly over three groups");
    }

    [Test]
    public void Spread_hashes_the_naa_designator_with_fnv_1a_so_other_versions_agree()
    {
        var identity = ScsiDeviceIdentity.FromSerial("0123456789abcdef0123456789abcdef");

        TargetPortGroupSettings.StableHash(identity.Naa.Span).Should().Be(3077714570u);
        new TargetPortGroupSettings(1, Three, AluaOptimizedRule.Spread).For(identity, shared: true).Optimized.Should().Be(3);
        new TargetPortGroupSettings(1, [1, 2], AluaOptimizedRule.Spread).For(identity, shared: true).Optimized.Should().Be(1);
    }

    [Test]
    public void A_device_only_this_gateway_serves_has_its_group_alone()
    {
        var groups = new TargetPortGroupSettings(2, Three, AluaOptimizedRule.Spread).For(Serials(1).Single(), shared: false);

        groups.Groups.Should().Equal((ushort)2);
        groups.Optimized.Should().Be(2);
        TargetPortGroupSettings.Default.For(Serials(1).Single(), shared: true).Groups.Should().Equal((ushort)1);
    }

    [TestCase(0, new ushort[] { 0, 1 })]
    [TestCase(1, new ushort[] { 2, 3 })]
    [TestCase(1, new ushort[] { 1, 2, 2 })]
    public void Bad_groups_are_refused(int local, ushort[] groups)
    {
        var act = () => new TargetPortGroupSettings((ushort)local, groups, AluaOptimizedRule.First);

        act.Should().Throw<ArgumentException>();
    }

    private static IEnumerable<ScsiDeviceIdentity> Serials(int count) =>
        Enumerable.Range(0, count).Select(i => ScsiDeviceIdentity.FromSerial(new Guid(i, 7, 11, [1, 2, 3, 4, 5, 6, 7, (byte)i]).ToString()));
}
