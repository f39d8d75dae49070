extern alias qcow2target;

using Targetd.Tests.Support;
using TargetdCommandLine = Targetd.Host.Http.CommandLine;
using Qcow2TargetCommandLine = qcow2target::Targetd.Host.Socket.CommandLine;
using Targetd.Host.Http;
using qcow2target::Targetd.Host.Socket;

namespace Targetd.Tests.Host;

/// <summary><c>--check-config</c> of both daemons: exit 0 and a summary, or exit 1 and the first error naming its key.</summary>
public sealed class CheckConfigTests
{
    private DirectoryInfo _folder = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = Directory.CreateTempSubdirectory("targetd-check-");
        _folder.CreateSubdirectory("images");
        _folder.CreateSubdirectory("disks");
    }

    [TearDown]
    public void TearDown() => _folder.Delete(recursive: true);

    [Test]
    public async Task Targetd_prints_a_summary_of_a_good_file_with_paths_from_its_folder()
    {
        string path = Write("targetd.yaml", """
            password: secret-pw
            image_pools:
              images: images
            metrics_address: 127.0.0.1:19100
            log_format: json
            state_file: state.json
            """);

        var (code, output, error) = await TargetdAsync("--config", path, "--check-config");

        code.Should().Be(0, error);
        error.Should().BeEmpty();
        output.Should().StartWith($"{path}: configuration OK")
            .And.Contain("block pools: images")
            .And.Contain($"state_file: {Path.Combine(_folder.FullName, "state.json")}")
            .And.Contain("metrics_address: 127.0.0.1:19100")
            .And.Contain("log_format: json")
            .And.NotContain("secret-pw");
        File.Exists(Path.Combine(_folder.FullName, "state.json")).Should().BeFalse("a check changes nothing");
    }

    [TestCase("metrics_address: 127.0.0.1\n", "metrics_address:*")]
    [TestCase("metrics_address: [::1\n", "cannot read*")]
    [TestCase("log_format: xml\n", "log_format:*")]
    [TestCase("image_pools:\n  images: missing\n", "image_pools:*does not exist*")]
    [TestCase("ssl: true\nssl_cert: cert.pem\nssl_key: key.pem\n", "ssl_cert:*does not exist*")]
    [TestCase("state_file: nowhere/state.json\n", "state_file:*does not exist*")]
    [TestCase("zfs_block_pools: [tank/v, tank]\n", "zfs_block_pools: ZFS pools cannot contain both parent and child datasets")]
    [TestCase("block_pools: [tank]\nzfs_block_pools: [tank]\n", "zfs_block_pools: Conflicting names in zfs_block_pools and block_pools in config.")]
    [TestCase("backing_roots: [missing]\n", "backing_roots: folder '*missing' does not exist")]
    [TestCase("backing_roots: images\n", "backing_roots: must be a list")]
    public async Task Targetd_names_the_key_of_the_first_error(string yaml, string message)
    {
        string path = Write("targetd.yaml", "password: pw\n" + yaml);

        var (code, output, error) = await TargetdAsync("--config", path, "--check-config");

        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().Match($"targetd: {message}");
    }

    [Test]
    public async Task Both_daemons_show_their_backing_roots()
    {
        string targetd = Write("targetd.yaml", "password: pw\nimage_pools:\n  images: images\nbacking_roots: [disks]\nstate_file: state.json\n");
        string qcow2target = Write("qcow2target.json", "{\"disks_root\": \"disks\", \"state\": \"\", \"backing_roots\": [\"images\"]}");

        var http = await TargetdAsync("--config", targetd, "--check-config");
        var socket = await Qcow2TargetAsync("serve", "--config", qcow2target, "--check-config");

        http.Output.Should().Contain($"backing_roots: {Path.Combine(_folder.FullName, "disks")}", http.Error);
        socket.Output.Should().Contain($"backing_roots: {Path.Combine(_folder.FullName, "images")}", socket.Error);
    }

    [Test]
    public async Task Targetd_without_a_password_is_refused()
    {
        string path = Write("targetd.yaml", "image_pools:\n  images: images\n");

        var (code, _, error) = await TargetdAsync("--config", path, "--check-config");

        code.Should().Be(1);
        error.Should().StartWith("targetd: password:");
    }

    [Test]
    public async Task Qcow2target_prints_the_settings_in_effect_with_flags_over_the_file()
    {
        string path = Write("qcow2target.json", """
            {"socket": "q.sock", "disks_root": "disks", "portal": "127.0.0.1:3270", "state": "state.json",
             "metrics_address": "127.0.0.1:19101", "log_format": "json"}
            """);

        var (code, output, error) = await Qcow2TargetAsync("serve", "--config", path, "--log-level", "Debug", "--check-config");

        code.Should().Be(0, error);
        output.Should().StartWith("configuration OK")
            .And.Contain($"socket: {Path.Combine(_folder.FullName, "q.sock")}")
            .And.Contain($"disks_root: {Path.Combine(_folder.FullName, "disks")}")
            .And.Contain("portal: 127.0.0.1:3270")
            .And.Contain("metrics_address: 127.0.0.1:19101")
            .And.Contain("log_level: Debug, log_format: json");
        File.Exists(Path.Combine(_folder.FullName, "q.sock")).Should().BeFalse("a check listens on nothing");
    }

    [TestCase("{\"disks_root\": \"missing\"}", "disks_root:*does not exist")]
    [TestCase("{\"disks_root\": \"disks\", \"socket\": \"nowhere/q.sock\"}", "socket:*does not exist")]
    [TestCase("{\"disks_root\": \"disks\", \"socket_group\": \"no-such-group-here\"}", "socket_group: there is no group*")]
    [TestCase("{\"disks_root\": \"disks\", \"state\": \"nowhere/state.json\"}", "state:*does not exist")]
    [TestCase("{\"disks_root\": \"disks\", \"state\": \"\", \"portal\": \"127.0.0.1:3270\", \"metrics_address\": \"127.0.0.1:3270\"}", "metrics_address:*portal*")]
    [TestCase("{\"disks_root\": \"disks\", \"metrics_address\": \"localhost\"}", "metrics_address: 'localhost' is not ADDRESS:PORT")]
    [TestCase("{\"disks_root\": \"disks\", \"log_format\": \"xml\"}", "log_format:*")]
    [TestCase("{\"disks_root\": \"disks\", \"portals\": \"x\"}", "unknown config key 'portals'")]
    [TestCase("{\"disks_root\": ", "cannot read config file*")]
    [TestCase("{\"disks_root\": \"disks\", \"backing_roots\": [\"missing\"]}", "backing_roots: '*missing' does not exist or is not a folder")]
    [TestCase("{\"disks_root\": \"disks\", \"backing_roots\": {}}", "config key 'backing_roots' must be a list of folders")]
    public async Task Qcow2target_names_the_key_of_the_first_error(string json, string message)
    {
        string path = Write("qcow2target.json", json);

        var (code, output, error) = await Qcow2TargetAsync("serve", "--config", path, "--check-config");

        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().Match($"qcow2target serve: {message}");
    }

    [Test]
    public async Task The_shipped_example_configurations_pass_the_check()
    {
        string data = Path.Combine(RepositoryRoot.Path, "data");

        var targetd = await TargetdAsync("--config", Path.Combine(data, "targetd.yaml"), "--check-config");
        var qcow2target = await Qcow2TargetAsync("serve", "--config", Path.Combine(data, "qcow2target.json"), "--check-config");

        targetd.Code.Should().Be(0, targetd.Error);
        targetd.Output.Should().Contain("metrics_address: 127.0.0.1:");
        qcow2target.Code.Should().Be(0, qcow2target.Error);
        qcow2target.Output.Should().Contain("metrics_address: 127.0.0.1:");
    }

    [Test]
    public void The_packaged_configurations_are_what_the_units_start()
    {
        string packaging = Path.Combine(RepositoryRoot.Path, "packaging");
        string varLib = Directory.CreateDirectory(Path.Combine(_folder.FullName, "var/lib/targetd/images")).Parent!.FullName;
        string targetdYaml = Path.Combine(_folder.FullName, "targetd.yaml");
        File.WriteAllText(targetdYaml, File.ReadAllText(Path.Combine(packaging, "targetd.yaml")).Replace("/var/lib/targetd", varLib, StringComparison.Ordinal));

        var targetd = TargetdConfigLoader.Load(targetdYaml, "from-the-environment-file");
        var qcow2target = DaemonOptions.Parse(["--config", Path.Combine(packaging, "qcow2target.json")]);

        File.ReadAllText(Path.Combine(packaging, "targetd.service")).Should().Contain("--config /etc/target/targetd.yaml");
        File.ReadAllText(Path.Combine(packaging, "qcow2target.service")).Should().Contain("--config /etc/qcow2target/qcow2target.json");
        targetd.MetricsAddress!.Address.Should().Be(System.Net.IPAddress.Loopback);
        targetd.BlockPools.Should().Equal("vg-targetd");
        targetd.StateFile.Should().Be(Path.Combine(varLib, "state.json"));
        qcow2target.MetricsAddress!.Address.Should().Be(System.Net.IPAddress.Loopback);
        qcow2target.StateFile.Should().StartWith("/var/lib/qcow2target/", "StateDirectory=qcow2target is the unit's writable folder");
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_folder.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static Task<(int Code, string Output, string Error)> TargetdAsync(params string[] args) => RunAsync(TargetdCommandLine.RunAsync, args);

    private static Task<(int Code, string Output, string Error)> Qcow2TargetAsync(params string[] args) => RunAsync(Qcow2TargetCommandLine.RunAsync, args);

    private static async Task<(int Code, string Output, string Error)> RunAsync(Func<string[], TextWriter, TextWriter, Task<int>> commandLine, string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await commandLine(args, output, error);
        return (code, output.ToString().TrimEnd(), error.ToString().TrimEnd());
    }
}
