using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Newtonsoft.Json.Linq;
using Targetd.Tests.Support;

namespace Targetd.Tests.Hostile;

/// <summary>
/// The real <c>targetd</c> and <c>qcow2target</c> processes against what their users and their clients can hand
/// them: an exported file system whose client planted links to the host's files before <c>fs_destroy</c>, a flood of
/// wrong passwords, and configuration files that once crashed start-up.
/// </summary>
[Category("Interop")]
[Category("Hostile")]
[NonParallelizable]
public sealed class HostileApiInteropTests
{
    private DirectoryInfo _folder = null!;
    private TargetdProcess? _targetd;

    [SetUp]
    public void SetUp() => _folder = Directory.CreateTempSubdirectory("targetd-hostile-api-");

    [TearDown]
    public async Task TearDown()
    {
        if (_targetd is not null)
        {
            await _targetd.DisposeAsync();
            _targetd = null;
        }

        _folder.Delete(recursive: true);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Fs_destroy_removes_the_tree_and_nothing_its_planted_links_lead_to()
    {
        string pool = Directory.CreateDirectory(Path.Combine(_folder.FullName, "fs")).FullName;
        string outside = Directory.CreateDirectory(Path.Combine(_folder.FullName, "host-files")).FullName;
        await File.WriteAllTextAsync(Path.Combine(outside, "precious"), "keep me");
        _targetd = await TargetdProcess.StartAsync(_folder.FullName, $"dir_fs_pools: [{pool}]");
        await _targetd.CallAsync("fs_create", new { pool_name = pool, name = "tenant", size_bytes = 0 });
        var listed = (JArray)(await _targetd.CallAsync("fs_list", new { }))["result"]!;
        string tree = (string)listed.Single(f => (string)f["name"]! == "tenant")["full_path"]!;
        Directory.CreateDirectory(Path.Combine(tree, "a", "b"));
        File.CreateSymbolicLink(Path.Combine(tree, "to-host"), outside);
        File.CreateSymbolicLink(Path.Combine(tree, "a", "b", "to-file"), Path.Combine(outside, "precious"));
        File.CreateSymbolicLink(Path.Combine(tree, "a", "to-root"), "/");

        await _targetd.CallAsync("fs_destroy", new { uuid = (string)listed.Single(f => (string)f["name"]! == "tenant")["uuid"]! });

        Directory.Exists(tree).Should().BeFalse();
        (await File.ReadAllTextAsync(Path.Combine(outside, "precious"))).Should().Be("keep me");
        ((JArray)(await _targetd.CallAsync("fs_list", new { }))["result"]!).Should().BeEmpty();
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Wrong_passwords_are_slowed_one_at_a_time_while_the_right_one_is_answered_at_once()
    {
        _targetd = await TargetdProcess.StartAsync(_folder.FullName);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_targetd.Port}/") };
        var guesses = Enumerable.Range(0, 20).Select(i => PostAsync(client, $"admin:guess{i}")).ToList();

        var clock = Stopwatch.StartNew();
        var right = await PostAsync(client, "admin:secret");
        var rightTook = clock.Elapsed;
        var statuses = await Task.WhenAll(guesses);

        right.Should().Be(HttpStatusCode.OK);
        rightTook.Should().BeLessThan(TimeSpan.FromSeconds(2), "a correct login does not wait behind the guesses");
        statuses.Should().OnlyContain(s => s == HttpStatusCode.Unauthorized);
        (await PostAsync(client, "admin:secret")).Should().Be(HttpStatusCode.OK);
        _targetd.Log.Should().NotContain("Unhandled exception");
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient client, string credentials)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "targetrpc")
        {
            Content = new StringContent("""{"jsonrpc": "2.0", "id": 1, "method": "pool_list", "params": {}}"""),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    // A flow mapping used as a key, and an unterminated flow mapping, both found by fuzzing; and a value of the wrong shape.
    [TestCase("? {a: b}\n: c\npassword: secret\n", "a key at line 1 is not a plain string")]
    [TestCase("user: {dmin\npassword: {oooo\n", "*")]
    [TestCase("password: secret\nport: [1, 2]\n", "port: *")]
    [CancelAfter(60_000)]
    public async Task Targetd_refuses_a_malformed_config_file_at_start_with_a_message_not_a_crash(string yaml, string message)
    {
        string config = Path.Combine(_folder.FullName, "targetd.yaml");
        await File.WriteAllTextAsync(config, yaml);

        var (code, output) = await RunAsync(Qcow2TargetDaemon.HostExecutable("Targetd.Host.Http", "targetd.dll"), "--config", config);

        code.Should().Be(1, output);
        output.Should().Match($"*targetd: {message}*").And.NotContain("Unhandled exception").And.NotContain("   at ");
    }

    [TestCase("{\"portal\": ", "cannot read config file *: Unexpected end of content*")]
    [TestCase("{\"state\": \"\", \"allowed_initiators\": [\"not an iqn\"]}", "allowed_initiators: 'not an iqn' is not an iSCSI name*")]
    [TestCase("{\"state\": \"\", \"chap_user\": \"u\"}", "chap_password: chap_user needs a chap_password")]
    [TestCase("{\"state\": \"\", \"buffer_budget_mib\": {\"a\": 1}}", "config key 'buffer_budget_mib' must be a string or a number")]
    [CancelAfter(60_000)]
    public async Task Qcow2target_refuses_a_malformed_config_file_at_start_with_a_message_not_a_crash(string json, string message)
    {
        string config = Path.Combine(_folder.FullName, "qcow2target.json");
        await File.WriteAllTextAsync(config, json);

        var (code, output) = await RunAsync(
            Qcow2TargetDaemon.Executable, "serve", "--config", config, "--disks-root", _folder.FullName, "--socket", Path.Combine(_folder.FullName, "q.sock"));

        code.Should().BeOneOf([1, 2], output);
        output.Should().Match($"*qcow2target serve: {message}*").And.NotContain("Unhandled exception").And.NotContain("   at ");
    }

    private static async Task<(int Code, string Output)> RunAsync(string dll, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
