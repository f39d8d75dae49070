extern alias qcow2target;

using Targetd.Host.Http;
using Targetd.Iscsi;
using qcow2target::Targetd.Host.Socket;
using Qcow2TargetCommandLine = qcow2target::Targetd.Host.Socket.CommandLine;
using TargetdCommandLine = Targetd.Host.Http.CommandLine;

namespace Targetd.Tests.Host;

/// <summary>The iSCSI limits as both daemons' configuration files set them, and <c>--check-config</c> naming a bad one.</summary>
public sealed class IscsiLimitsConfigTests
{
    private DirectoryInfo _folder = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = Directory.CreateTempSubdirectory("targetd-limits-");
        _folder.CreateSubdirectory("disks");
    }

    [TearDown]
    public void TearDown() => _folder.Delete(recursive: true);

    [Test]
    public void The_defaults_are_lios_behaviour_with_the_buffer_budgets()
    {
        var limits = IscsiLimits.Default;

        (limits.QueueDepth, limits.SessionBufferBytes, limits.BufferBudgetBytes).Should().Be((128, 128L << 20, 1L << 30));
        (limits.MaxSessionsPerTarget, limits.MaxSessionsPerInitiator, limits.MaxConnectionsPerPortal).Should().Be((0, 0, 0), "LIO bounds none of them");
        new Targetd.Iscsi.Targets.IscsiTargetRegistry().Limits.Should().Be(IscsiLimits.Default);
        new Targetd.Iscsi.Targets.IscsiTargetRegistry { BufferBudgetBytes = 64 << 20 }.Limits.BufferBudgetBytes.Should().Be(64 << 20, "BufferBudgetBytes sets the limit");
    }

    [TestCase("queue_depth", "1")]
    [TestCase("queue_depth", "512")]
    [TestCase("session_buffer_mib", "8")]
    [TestCase("buffer_budget_mib", "256")]
    [TestCase("max_sessions_per_target", "0")]
    [TestCase("max_sessions_per_initiator", "4")]
    [TestCase("max_connections_per_portal", "10000")]
    public void Each_key_takes_a_whole_number_in_its_range(string key, string value)
    {
        var limits = IscsiLimits.Default.WithSetting(key, value);

        limits.Describe().Should().Contain($"{key}: {value}");
        limits.Should().NotBeSameAs(IscsiLimits.Default);
    }

    [TestCase("queue_depth", "0")]
    [TestCase("queue_depth", "513")]
    [TestCase("session_buffer_mib", "7")]
    [TestCase("buffer_budget_mib", "0")]
    [TestCase("buffer_budget_mib", "1G")]
    [TestCase("max_sessions_per_target", "-1")]
    [TestCase("max_sessions_per_initiator", "2.5")]
    [TestCase("max_connections_per_portal", "")]
    [TestCase("max_connections_per_portal", "99999999999")]
    public void Anything_else_is_refused_naming_the_key(string key, string value)
    {
        var act = () => IscsiLimits.Default.WithSetting(key, value);

        act.Should().Throw<ArgumentException>().WithMessage($"{key}: '{value}' is not a whole number from *");
    }

    [Test]
    public void Targetd_yaml_sets_each_limit_and_keeps_the_defaults_of_the_others()
    {
        var config = LoadYaml("queue_depth: 64\nbuffer_budget_mib: 256\nmax_sessions_per_initiator: 8\nmax_connections_per_portal: 1000\n");

        config.IscsiLimits.Should().Be(IscsiLimits.Default with
        {
            QueueDepth = 64,
            BufferBudgetBytes = 256L << 20,
            MaxSessionsPerInitiator = 8,
            MaxConnectionsPerPortal = 1000,
        });
        LoadYaml(string.Empty).IscsiLimits.Should().Be(IscsiLimits.Default);
        var bad = () => LoadYaml("max_sessions_per_target: lots\n");
        bad.Should().Throw<ArgumentException>().WithMessage("max_sessions_per_target: 'lots'*");
    }

    [Test]
    public void Qcow2target_json_sets_each_limit_and_keeps_the_defaults_of_the_others()
    {
        string path = Write("qcow2target.json", "{\"session_buffer_mib\": 32, \"max_sessions_per_target\": 4}");

        DaemonOptions.Parse(["--config", path]).Limits
            .Should().Be(IscsiLimits.Default with { SessionBufferBytes = 32L << 20, MaxSessionsPerTarget = 4 });
        DaemonOptions.Parse([]).Limits.Should().Be(IscsiLimits.Default);
    }

    [TestCase("queue_depth: 1000\n", "queue_depth: '1000' is not a whole number from 1 to 512")]
    [TestCase("session_buffer_mib: 4\n", "session_buffer_mib: '4' is not a whole number from 8 to *")]
    [TestCase("max_connections_per_portal: -5\n", "max_connections_per_portal: '-5' is not a whole number from 0 to * (0: no limit)")]
    [TestCase("max_sessions_per_initiator: [1, 2]\n", "max_sessions_per_initiator: must be a single value")]
    public async Task Targetd_check_config_names_the_bad_limit(string yaml, string message)
    {
        string path = Write("targetd.yaml", "password: pw\nstate_file: state.json\n" + yaml);

        var (code, output, error) = await RunAsync(TargetdCommandLine.RunAsync, "--config", path, "--check-config");

        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().Match($"targetd: {message}");
    }

    [TestCase("{\"queue_depth\": 0}", "queue_depth: '0' is not a whole number from 1 to 512")]
    [TestCase("{\"buffer_budget_mib\": 1.5}", "buffer_budget_mib: '1.5' is not a whole number from 8 to *")]
    [TestCase("{\"max_sessions_per_target\": \"many\"}", "max_sessions_per_target: 'many' is not a whole number from 0 to *")]
    public async Task Qcow2target_check_config_names_the_bad_limit(string json, string message)
    {
        string path = Write("qcow2target.json", json);

        var (code, output, error) = await RunAsync(Qcow2TargetCommandLine.RunAsync, "serve", "--config", path, "--disks-root", Path.Combine(_folder.FullName, "disks"), "--check-config");

        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().Match($"qcow2target serve: {message}");
    }

    [Test]
    public async Task Both_checks_print_the_limits_in_effect()
    {
        string yaml = Write("targetd.yaml", "password: pw\nstate_file: state.json\nmax_sessions_per_target: 16\n");
        string json = Write("qcow2target.json", "{\"buffer_budget_mib\": 256, \"state\": \"\"}");

        var targetd = await RunAsync(TargetdCommandLine.RunAsync, "--config", yaml, "--check-config");
        var qcow2target = await RunAsync(Qcow2TargetCommandLine.RunAsync, "serve", "--config", json, "--disks-root", Path.Combine(_folder.FullName, "disks"), "--socket", Path.Combine(_folder.FullName, "q.sock"), "--check-config");

        targetd.Code.Should().Be(0, targetd.Error);
        targetd.Output.Should().Contain("iscsi limits: queue_depth: 128, session_buffer_mib: 128, buffer_budget_mib: 1024, max_sessions_per_target: 16, max_sessions_per_initiator: 0, max_connections_per_portal: 0");
        qcow2target.Code.Should().Be(0, qcow2target.Error);
        qcow2target.Output.Should().Contain("buffer_budget_mib: 256");
    }

    private TargetdConfig LoadYaml(string yaml) => TargetdConfigLoader.Load(Write("targetd.yaml", "password: secret\n" + yaml), null);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_folder.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(Func<string[], TextWriter, TextWriter, Task<int>> commandLine, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await commandLine(args, output, error);
        return (code, output.ToString().TrimEnd(), error.ToString().TrimEnd());
    }
}
