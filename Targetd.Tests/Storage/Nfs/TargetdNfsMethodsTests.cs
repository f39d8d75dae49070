using Newtonsoft.Json.Linq;
using Targetd.Core.Processes;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Nfs;
using Targetd.Storage.Targetd;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage.Nfs;

/// <summary>nfs_export_* through the JSON-RPC processor, against recorded exportfs command lines.</summary>
public sealed class TargetdNfsMethodsTests
{
    private DirectoryInfo _folder = null!;
    private string _share = null!;
    private string _exportsFile = null!;
    private FakeExportfs _exportfs = null!;
    private JsonRpcProcessor _rpc = null!;
    private int _id;

    [SetUp]
    public void SetUp()
    {
        _folder = Directory.CreateTempSubdirectory("targetd-nfs-");
        _share = Directory.CreateDirectory(Path.Combine(_folder.FullName, "share")).FullName;
        _exportsFile = Path.Combine(_folder.FullName, "exports.d", "targetd.exports");
        _exportfs = new FakeExportfs();
        Build(allowChown: false, _exportfs.Runner);
    }

    [TearDown]
    public void TearDown()
    {
        _rpc.Dispose();
        _folder.Delete(recursive: true);
    }

    private void Build(bool allowChown, IProcessRunner runner)
    {
        _rpc?.Dispose();
        _rpc = new JsonRpcProcessor(new TargetdNfsMethods(new NfsExportService(runner, new ExportsFile(_exportsFile), allowChown)).Methods());
    }

    private async Task<JObject> CallAsync(string method, object? parameters = null)
    {
        var request = new JObject { ["jsonrpc"] = "2.0", ["id"] = ++_id, ["method"] = method };
        if (parameters is not null)
        {
            request["params"] = JObject.FromObject(parameters);
        }

        return JObject.Parse(await _rpc.ProcessAsync(request.ToString()));
    }

    private async Task<JToken> OkAsync(string method, object? parameters = null)
    {
        var reply = await CallAsync(method, parameters);
        reply["error"].Should().BeNull(reply.ToString());
        return reply["result"]!;
    }

    private string[] FileLines() => File.Exists(_exportsFile) ? [.. File.ReadAllLines(_exportsFile).Where(l => !l.StartsWith('#'))] : [];

    [Test]
    public async Task Auth_list_is_targetd_s_constant()
    {
        ((JArray)await OkAsync("nfs_export_auth_list")).Select(t => (string?)t).Should().Equal("sys", "krb5", "krb5i", "krb5p");
    }

    [Test]
    public async Task Add_exports_keeps_and_lists_and_remove_undoes_it()
    {
        var added = await OkAsync("nfs_export_add", new { host = "192.168.0.0/24", path = _share + "/", options = new[] { "rw", "no_root_squash", "rw" } });
        await OkAsync("nfs_export_add", new { host = "*", path = _share, options = "ro" });
        var listed = (JArray)await OkAsync("nfs_export_list");

        JToken.DeepEquals(added, new JObject { ["host"] = "192.168.0.0/24", ["path"] = _share + "/" }).Should().BeTrue(added.ToString());
        _exportfs.Changes.Should().Equal($"exportfs -o rw,no_root_squash 192.168.0.0/24:{_share}", $"exportfs -o ro *:{_share}");
        FileLines().Should().Equal($"{_share} 192.168.0.0/24(rw,no_root_squash,no_subtree_check)", $"{_share} *(ro,no_subtree_check)");
        listed.Select(e => ((string?)e["host"], (string?)e["path"])).Should().Equal(("192.168.0.0/24", _share), ("*", _share));
        listed[0]["options"]!.Select(o => (string?)o).Should().Equal("secure", "rw", "sync", "no_subtree_check", "wdelay", "hide", "no_root_squash", "no_all_squash", "sec=sys");
        listed[1]["options"]!.Select(o => (string?)o).Should().Equal("secure", "ro", "sync", "no_subtree_check", "root_squash", "wdelay", "hide", "no_all_squash", "sec=sys");

        (await OkAsync("nfs_export_remove", new { host = "192.168.0.0/24", path = _share })).Type.Should().Be(JTokenType.Null);
        var missing = await CallAsync("nfs_export_remove", new { host = "192.168.0.0/24", path = _share });

        _exportfs.Changes[^1].Should().Be($"exportfs -u 192.168.0.0/24:{_share}");
        FileLines().Should().Equal($"{_share} *(ro,no_subtree_check)");
        ((int?)missing["error"]?["code"]).Should().Be(-400);
        ((string?)missing["error"]?["message"]).Should().Be($"NFS export to remove not found 192.168.0.0/24:{_share}");
    }

    [Test]
    public async Task Ipv6_clients_are_bracketed_for_exportfs_only()
    {
        await OkAsync("nfs_export_add", new { host = "fd00::/64", path = _share, options = (string[]?)null });
        await OkAsync("nfs_export_add", new { host = "[fe80::1]", path = _share });

        _exportfs.Changes.Should().Equal($"exportfs [fd00::]/64:{_share}", $"exportfs [fe80::1]:{_share}");
        FileLines().Should().Equal($"{_share} fd00::/64(no_subtree_check)", $"{_share} fe80::1(no_subtree_check)");
        ((JArray)await OkAsync("nfs_export_list")).Select(e => (string?)e["host"]).Should().Equal("fd00::/64", "fe80::1");
        await OkAsync("nfs_export_remove", new { host = "fe80::1", path = _share });
        _exportfs.Changes[^1].Should().Be($"exportfs -u [fe80::1]:{_share}");
    }

    [Test]
    public async Task Adding_again_replaces_the_options_of_that_export()
    {
        await OkAsync("nfs_export_add", new { host = "client.example.com", path = _share, options = new[] { "ro" } });
        await OkAsync("nfs_export_add", new { host = "client.example.com", path = _share, options = new[] { "rw", "sec=krb5:krb5p" } });

        FileLines().Should().Equal($"{_share} client.example.com(rw,sec=krb5:krb5p,no_subtree_check)");
        _exportfs.Exports.Should().ContainSingle();
    }

    [Test]
    public async Task The_file_names_a_subtree_option_on_every_line_as_exportfs_wants()
    {
        await OkAsync("nfs_export_add", new { host = "h1", path = _share, options = new[] { "rw", "subtree_check" } });
        await OkAsync("nfs_export_add", new { host = "h2", path = _share, options = new[] { "no_subtree_check", "ro" } });
        await OkAsync("nfs_export_add", new { host = "h3", path = _share });

        FileLines().Should().Equal($"{_share} h1(rw,subtree_check)", $"{_share} h2(no_subtree_check,ro)", $"{_share} h3(no_subtree_check)");
        _exportfs.Changes[^1].Should().Be($"exportfs h3:{_share}", "exportfs gets the options as given");
    }

    [Test]
    public async Task Removing_an_export_made_elsewhere_unexports_it_and_leaves_the_file()
    {
        _exportfs.Exports.Add(("10.0.0.1", "/srv/other", "rw"));

        await OkAsync("nfs_export_remove", new { host = "10.0.0.1", path = "/srv/other" });

        _exportfs.Changes.Should().Equal("exportfs -u 10.0.0.1:/srv/other");
        File.Exists(_exportsFile).Should().BeFalse();
    }

    [TestCase("nfs_export_add", "{\"host\": \"h\", \"path\": \"P\", \"options\": [\"rw\", \"ro\"]}", -32602, "Both RO & RW set")]
    [TestCase("nfs_export_add", "{\"host\": \"h\", \"path\": \"P\", \"options\": [\"sync\", \"async\"]}", -32602, "Both ASYNC & SYNC set")]
    [TestCase("nfs_export_add", "{\"host\": \"h\", \"path\": \"P\", \"options\": [\"root_squash\", \"no_root_squash\"]}", -32602, "Both NO_ROOT_SQUASH & ROOT_SQUASH set")]
    [TestCase("nfs_export_add", "{\"host\": \"h\", \"path\": \"P\", \"options\": [\"bogus\"]}", -32602, "option bogus not valid")]
    [TestCase("nfs_export_add", "{\"host\": \"h\", \"path\": \"P\", \"options\": [\"foo=1\"]}", -32602, "option foo not valid")]
    [TestCase("nfs_export_add", "{\"host\": \"h\", \"path\": \"P\", \"options\": [\"anonuid=abc\"]}", -32602, "anonuid=abc")]
    [TestCase("nfs_export_add", "{\"host\": \"h\", \"path\": \"P\", \"options\": [\"fsid=1\", \"fsid=2\"]}", -32602, "given twice")]
    [TestCase("nfs_export_add", "{\"host\": \"h\", \"path\": \"P\", \"options\": [\"sec=sys:bogus\"]}", -32602, "sec=sys:bogus")]
    [TestCase("nfs_export_add", "{\"host\": \"h\", \"path\": \"P\", \"options\": [\"rw,no_root_squash\"]}", -32602, "not valid")]
    [TestCase("nfs_export_add", "{\"host\": \"h\", \"path\": \"P\", \"options\": [1]}", -32602, "list of strings")]
    [TestCase("nfs_export_add", "{\"host\": \"h\", \"path\": \"P\", \"export_path\": \"/elsewhere\"}", -401, "separate export path not supported at this time")]
    [TestCase("nfs_export_add", "{\"host\": \"h\", \"path\": \"P\", \"chown\": \"1000\"}", -153, "Chown is disabled. Consult manual before enabling it.")]
    [TestCase("nfs_export_add", "{\"host\": \"-o\", \"path\": \"P\"}", -32602, "not a client")]
    [TestCase("nfs_export_add", "{\"host\": \"a b\", \"path\": \"P\"}", -32602, "not a client")]
    [TestCase("nfs_export_add", "{\"host\": \"h(rw)\", \"path\": \"P\"}", -32602, "not a client")]
    [TestCase("nfs_export_add", "{\"host\": \"10.0.0.0/33\", \"path\": \"P\"}", -32602, "not a client")]
    [TestCase("nfs_export_add", "{\"host\": \"h\", \"path\": \"relative\"}", -32602, "absolute")]
    [TestCase("nfs_export_add", "{\"host\": \"h\", \"path\": \"P/../share\"}", -32602, "normalized")]
    [TestCase("nfs_export_add", "{\"host\": \"h\", \"path\": \"P/missing\"}", -32602, "not an existing folder")]
    [TestCase("nfs_export_add", "{\"host\": \"h\", \"path\": \"P/a b\"}", -32602, "absolute")]
    [TestCase("nfs_export_add", "{\"path\": \"P\"}", -32602, "invalid method argument")]
    [TestCase("nfs_export_remove", "{\"host\": \"h\"}", -32602, "invalid method argument")]
    [TestCase("nfs_export_remove", "{\"host\": \"h\", \"path\": \"P\"}", -400, "NFS export to remove not found")]
    public async Task Bad_requests_get_targetd_codes_and_run_nothing(string method, string parameters, int code, string message)
    {
        Directory.CreateDirectory(Path.Combine(_share, "a b"));
        var reply = JObject.Parse(await _rpc.ProcessAsync(
            $"{{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"{method}\", \"params\": {parameters.Replace("\"P", "\"" + _share, StringComparison.Ordinal)}}}"));

        ((int?)reply["error"]?["code"]).Should().Be(code, reply.ToString());
        ((string?)reply["error"]?["message"]).Should().Contain(message);
        _exportfs.Changes.Should().BeEmpty();
        File.Exists(_exportsFile).Should().BeFalse();
    }

    [TestCase(1, -1)]
    [TestCase(22, -32602)]
    public async Task A_failing_exportfs_is_reported_and_nothing_is_kept(int exitCode, int code)
    {
        _exportfs.Runner.When(c => c.FileName == "exportfs" && c.Arguments[0] == "-o", new ProcessResult(exitCode, string.Empty, "exportfs: refused"));

        var reply = await CallAsync("nfs_export_add", new { host = "h1", path = _share, options = new[] { "rw" } });

        ((int?)reply["error"]?["code"]).Should().Be(code, reply.ToString());
        ((string?)reply["error"]?["message"]).Should().Contain("exportfs: refused").And.Contain("Unexpected exit code");
        FileLines().Should().BeEmpty();
    }

    [Test]
    public async Task A_missing_exportfs_makes_the_list_minus_303()
    {
        _exportfs.Runner.When(c => c.FileName == "exportfs", new ProcessResult(127, string.Empty, "exportfs: No such file or directory"));

        var reply = await CallAsync("nfs_export_list");

        ((int?)reply["error"]?["code"]).Should().Be(-303, reply.ToString());
        ((string?)reply["error"]?["message"]).Should().Contain("'exportfs', '-v'");
    }

    [Test]
    public async Task A_file_that_cannot_be_written_unexports_again()
    {
        Directory.CreateDirectory(_exportsFile);

        var reply = await CallAsync("nfs_export_add", new { host = "h1", path = _share, options = new[] { "rw" } });

        ((int?)reply["error"]?["code"]).Should().Be(-1, reply.ToString());
        _exportfs.Changes.Should().Equal($"exportfs -o rw h1:{_share}", $"exportfs -u h1:{_share}");
        _exportfs.Exports.Should().BeEmpty();
    }

    [Test]
    public async Task Kept_exports_the_server_lacks_are_made_again_at_start()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_exportsFile)!);
        await File.WriteAllTextAsync(_exportsFile, $"# kept\n{_share} h1(rw,no_root_squash) h2\n{_share} h3(ro)\n");
        _exportfs.Exports.Add(("h3", _share, "ro"));
        _exportfs.Runner.When(c => c.FileName == "exportfs" && c.Arguments[^1].StartsWith("h2:", StringComparison.Ordinal), new ProcessResult(1, string.Empty, "exportfs: refused"));
        var service = new NfsExportService(_exportfs.Runner, new ExportsFile(_exportsFile));

        var failures = await service.RestoreAsync();

        _exportfs.Changes.Should().Equal($"exportfs -o rw,no_root_squash h1:{_share}", $"exportfs h2:{_share}");
        failures.Should().ContainSingle().Which.Should().StartWith($"h2:{_share}: ").And.Contain("refused");
        (await new NfsExportService(_exportfs.Runner, new ExportsFile(Path.Combine(_folder.FullName, "none"))).RestoreAsync()).Should().BeEmpty();
    }

    [Test]
    public async Task Chown_is_applied_when_allowed()
    {
        Build(allowChown: true, _exportfs.Runner);
        if (Environment.UserName != "root")
        {
            Prerequisite.Missing("changing a folder's owner needs root");
        }

        var bad = await CallAsync("nfs_export_add", new { host = "h1", path = _share, chown = "user:group" });
        await OkAsync("nfs_export_add", new { host = "h1", path = _share, chown = "4321:4322" });

        ((int?)bad["error"]?["code"]).Should().Be(-32602);
        (await Support.ExternalTool.RunOkAsync("stat", "-c", "%u:%g", _share)).Trim().Should().Be("4321:4322");
    }
}
