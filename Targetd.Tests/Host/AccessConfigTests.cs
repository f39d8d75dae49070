extern alias qcow2target;

using Targetd.Core.Exports;
using qcow2target::Targetd.Host.Socket;
using Qcow2TargetCommandLine = qcow2target::Targetd.Host.Socket.CommandLine;

namespace Targetd.Tests.Host;

/// <summary>qcow2target's access control keys and flags: parsing, the check naming a bad one, the summary without secrets.</summary>
public sealed class AccessConfigTests
{
    private const string HostA = "iqn.1993-08.org.debian:01:host-a";
    private const string HostB = "iqn.1993-08.org.debian:01:host-b";
    private DirectoryInfo _folder = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = Directory.CreateTempSubdirectory("targetd-access-");
        _folder.CreateSubdirectory("disks");
    }

    [TearDown]
    public void TearDown() => _folder.Delete(recursive: true);

    [Test]
    public void The_file_sets_a_list_of_initiators_and_mutual_chap()
    {
        string path = Write($$"""
            {"allowed_initiators": ["{{HostA}}", "{{HostB}}"], "chap_user": "alice", "chap_password": "alice-secret-12",
             "mutual_chap_user": "array", "mutual_chap_password": "array-secret-34"}
            """);

        var options = DaemonOptions.Parse(["--config", path]);

        DaemonOptionsCheck.Problem(options with { DisksRoot = _folder.FullName, SocketPath = Path.Combine(_folder.FullName, "s"), StateFile = null }).Should().BeNull();
        var access = options.Access.ToTargetAccess();
        access.AllowedInitiators.Should().Equal(HostA, HostB);
        access.Chap.Should().Be(new InitiatorCredentials("alice", "alice-secret-12", "array", "array-secret-34"));
        access.IsOpen.Should().BeFalse();
        options.ToString().Should().NotContain("secret-12").And.NotContain("secret-34", "the options never print a secret");
    }

    [Test]
    public void Flags_override_the_file_and_an_empty_list_admits_any_initiator()
    {
        string path = Write($$"""{"allowed_initiators": ["{{HostA}}"], "chap_user": "alice", "chap_password": "alice-secret-12"}""");

        var flags = DaemonOptions.Parse(["--config", path, "--allowed-initiators", $"{HostB}, {HostA},{HostB}", "--chap-password=other-secret-99"]);
        var cleared = DaemonOptions.Parse(["--config", path, "--allowed-initiators", string.Empty]);

        flags.Access.AllowedInitiators.Should().Equal(HostB, HostA);
        flags.Access.ToTargetAccess().Chap.Should().Be(new InitiatorCredentials("alice", "other-secret-99"));
        cleared.Access.AllowedInitiators.Should().BeEmpty();
        cleared.Access.ToTargetAccess().Chap.Should().NotBeNull();
        DaemonOptions.Parse([]).Access.ToTargetAccess().Should().Match<TargetAccess>(a => a.IsOpen);
    }

    [Test]
    public void The_portal_is_exposed_off_loopback_without_access_control()
    {
        var open = DaemonOptions.Parse(["--portal", "0.0.0.0:3260"]);

        Daemon.IsExposed(open).Should().BeTrue();
        Daemon.IsExposed(open with { Portal = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 3260) }).Should().BeFalse();
        Daemon.IsExposed(open with { Portal = new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Loopback, 3260) }).Should().BeFalse();
        Daemon.IsExposed(DaemonOptions.Parse(["--portal", "0.0.0.0:3260", "--allowed-initiators", HostA])).Should().BeFalse();
        Daemon.IsExposed(DaemonOptions.Parse(["--portal", "[::]:3260", "--chap-user", "u", "--chap-password", "twelve-bytes"])).Should().BeFalse();
    }

    [Test]
    public async Task Check_config_shows_the_initiators_and_the_chap_user_but_no_secret()
    {
        string path = Write($$"""
            {"disks_root": "disks", "state": "", "allowed_initiators": ["{{HostA}}"], "chap_user": "alice", "chap_password": "alice-secret-12",
             "mutual_chap_user": "array", "mutual_chap_password": "array-secret-34"}
            """);

        var (code, output, error) = await CheckAsync("--config", path, "--socket", Path.Combine(_folder.FullName, "q.sock"));

        code.Should().Be(0, error);
        output.Should().Contain($"allowed_initiators: {HostA}")
            .And.Contain("chap: user alice, mutual as array")
            .And.NotContain("secret");
    }

    [TestCase("\"allowed_initiators\": [\"iqn.1993-08.org.debian:01:ok\", \"host-b\"]", "allowed_initiators: 'host-b' is not an iSCSI name*")]
    [TestCase("\"allowed_initiators\": \"iqn.nodate\"", "allowed_initiators: 'iqn.nodate' is not an iSCSI name*")]
    [TestCase("\"allowed_initiators\": [1, 2]", "config key 'allowed_initiators' must be a list of strings")]
    [TestCase("\"chap_user\": \"alice\", \"chap_password\": \"short\"", "chap_password: a CHAP secret has 12 to 255 bytes*(this one has 5)")]
    [TestCase("\"chap_user\": \"alice\"", "chap_password: chap_user needs a chap_password")]
    [TestCase("\"chap_password\": \"alice-secret-12\"", "chap_user: chap_password needs a chap_user")]
    [TestCase("\"mutual_chap_user\": \"array\", \"mutual_chap_password\": \"array-secret-34\"", "mutual_chap_user: mutual CHAP needs one-way CHAP*")]
    [TestCase("\"chap_user\": \"alice\", \"chap_password\": \"alice-secret-12\", \"mutual_chap_user\": \"array\"", "mutual_chap_password: mutual_chap_user needs a mutual_chap_password")]
    [TestCase("\"chap_user\": \"alice\", \"chap_password\": \"alice-secret-12\", \"mutual_chap_user\": \"array\", \"mutual_chap_password\": \"alice-secret-12\"", "mutual_chap_password: must differ from chap_password")]
    [TestCase("\"chap_user\": \"alice\", \"chap_password\": \"alice-secret-12\", \"mutual_chap_user\": \"array\", \"mutual_chap_password\": \"tiny\"", "mutual_chap_password: a CHAP secret has 12 to 255 bytes*")]
    public async Task Check_config_names_the_key_of_a_bad_access_setting(string keys, string message)
    {
        string path = Write("{\"disks_root\": \"disks\", \"state\": \"\", " + keys + "}");

        var (code, output, error) = await CheckAsync("--config", path, "--socket", Path.Combine(_folder.FullName, "q.sock"));

        code.Should().Be(1);
        output.Should().BeEmpty();
        error.Should().Match($"qcow2target serve: {message}");
    }

    [Test]
    public async Task A_secret_too_long_is_refused_as_a_flag_too()
    {
        var (code, _, error) = await CheckAsync("--disks-root", Path.Combine(_folder.FullName, "disks"), "--chap-user", "alice", "--chap-password", new string('s', 256));

        code.Should().Be(1);
        error.Should().Match("qcow2target serve: chap_password: a CHAP secret has 12 to 255 bytes*(this one has 256)");
    }

    private string Write(string json)
    {
        string path = Path.Combine(_folder.FullName, "qcow2target.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static async Task<(int Code, string Output, string Error)> CheckAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await Qcow2TargetCommandLine.RunAsync(["serve", .. args, "--check-config"], output, error);
        return (code, output.ToString().TrimEnd(), error.ToString().TrimEnd());
    }
}
