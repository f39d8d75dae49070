extern alias qcow2target;

using Targetd.Host.Http;
using qcow2target::Targetd.Host.Socket;
using Targetd.Iscsi;

namespace Targetd.Tests.Host;

/// <summary>The iSCSI connection timeouts as both daemons' configuration files set them (LIO's attribute names, seconds, 0 = off).</summary>
public sealed class ConnectionTimeoutsConfigTests
{
    private DirectoryInfo _folder = null!;

    [SetUp]
    public void SetUp() => _folder = Directory.CreateTempSubdirectory("targetd-timeouts-");

    [TearDown]
    public void TearDown() => _folder.Delete(recursive: true);

    [TestCase("0", -1)]
    [TestCase("1", 1)]
    [TestCase("86400", 86400)]
    public void Seconds_are_whole_and_zero_turns_the_check_off(string value, int seconds)
    {
        ConnectionTimeouts.ParseSeconds("login_timeout", value)
            .Should().Be(seconds < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds));
    }

    [TestCase("-1")]
    [TestCase("1.5")]
    [TestCase("86401")]
    [TestCase("ten")]
    [TestCase("")]
    public void Anything_else_is_refused_naming_the_key(string value)
    {
        var act = () => ConnectionTimeouts.ParseSeconds("nopin_timeout", value);

        act.Should().Throw<ArgumentException>().WithMessage($"nopin_timeout: '{value}' is not a number of seconds*");
    }

    [Test]
    public void Targetd_yaml_sets_each_timeout_and_keeps_the_defaults_of_the_others()
    {
        var config = LoadYaml("login_timeout: 5\nnopin_timeout: 0\n");
        var defaults = LoadYaml(string.Empty);

        config.IscsiTimeouts.Should().Be(new ConnectionTimeouts(TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan, TimeSpan.FromSeconds(30)));
        defaults.IscsiTimeouts.Should().Be(ConnectionTimeouts.Default);
        var bad = () => LoadYaml("nopin_response_timeout: soon\n");
        bad.Should().Throw<ArgumentException>().WithMessage("nopin_response_timeout:*");
    }

    [Test]
    public void Qcow2target_json_sets_each_timeout_and_keeps_the_defaults_of_the_others()
    {
        string path = Path.Combine(_folder.FullName, "qcow2target.json");
        File.WriteAllText(path, "{\"login_timeout\": 5, \"nopin_response_timeout\": 0}");
        string bad = Path.Combine(_folder.FullName, "bad.json");
        File.WriteAllText(bad, "{\"nopin_timeout\": -3}");

        DaemonOptions.Parse(["--config", path]).Timeouts
            .Should().Be(new ConnectionTimeouts(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), Timeout.InfiniteTimeSpan));
        DaemonOptions.Parse([]).Timeouts.Should().Be(ConnectionTimeouts.Default);
        var act = () => DaemonOptions.Parse(["--config", bad]);
        act.Should().Throw<ArgumentException>().WithMessage("nopin_timeout:*");
    }

    private TargetdConfig LoadYaml(string yaml)
    {
        string path = Path.Combine(_folder.FullName, "targetd.yaml");
        File.WriteAllText(path, "password: secret\n" + yaml);
        return TargetdConfigLoader.Load(path, null);
    }
}
