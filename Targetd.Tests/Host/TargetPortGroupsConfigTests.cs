using Targetd.Host.Http;
using Targetd.Iscsi.Scsi;

namespace Targetd.Tests.Host;

/// <summary><c>target_port_group</c>, <c>target_port_groups</c> and <c>alua_optimized</c> in targetd.yaml.</summary>
public sealed class TargetPortGroupsConfigTests
{
    [Test]
    public void Without_the_keys_the_gateway_is_group_1_alone_and_spreads()
    {
        var groups = LoadYaml(string.Empty).PortGroups;

        groups.LocalGroup.Should().Be(1);
        groups.SharedGroups.Should().Equal((ushort)1);
        groups.Rule.Should().Be(AluaOptimizedRule.Spread);
    }

    [Test]
    public void The_keys_set_the_group_the_gateways_and_the_rule()
    {
        var groups = LoadYaml("target_port_group: 20\ntarget_port_groups: [30, 10, 20]\nalua_optimized: first\n").PortGroups;
        var alone = LoadYaml("target_port_group: 65535\n").PortGroups;

        groups.LocalGroup.Should().Be(20);
        groups.SharedGroups.Should().Equal((ushort)10, (ushort)20, (ushort)30);
        groups.Rule.Should().Be(AluaOptimizedRule.First);
        alone.SharedGroups.Should().Equal((ushort)65535);
    }

    [TestCase("target_port_group: 0\n", "target_port_group: '0' is not a target port group id (1 to 65535)")]
    [TestCase("target_port_group: 65536\n", "target_port_group: '65536' is not a target port group id (1 to 65535)")]
    [TestCase("target_port_group: two\n", "target_port_group: 'two' is not a target port group id (1 to 65535)")]
    [TestCase("target_port_group: [1]\n", "target_port_group: must be a single value")]
    [TestCase("target_port_groups: [1, -2]\n", "target_port_groups: '-2' is not a target port group id (1 to 65535)")]
    [TestCase("target_port_groups: 1\n", "target_port_groups: must be a list")]
    [TestCase("target_port_groups: [1, 2, 1]\n", "target_port_groups: group 1 is listed twice")]
    [TestCase("target_port_group: 3\ntarget_port_groups: [1, 2]\n", "target_port_groups: must list this gateway's target_port_group 3")]
    [TestCase("target_port_groups: [2]\n", "target_port_groups: must list this gateway's target_port_group 1")]
    [TestCase("alua_optimized: last\n", "alua_optimized: 'last' is not first or spread")]
    public void Bad_values_are_refused_naming_their_key(string yaml, string message)
    {
        var act = () => LoadYaml(yaml);

        act.Should().Throw<ArgumentException>().WithMessage(message);
    }

    [Test]
    public void The_check_prints_them()
    {
        var config = LoadYaml("target_port_group: 2\ntarget_port_groups: [1, 2]\n");

        TargetdConfigCheck.Summary("targetd.yaml", config).Should().Contain("target_port_group: 2, target_port_groups: 1, 2, alua_optimized: spread");
    }

    private static TargetdConfig LoadYaml(string yaml)
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "password: secret\n" + yaml);
            return TargetdConfigLoader.Load(path, null);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
